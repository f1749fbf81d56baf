# The hub's setup page (/setup): the first admin with the setup code from integra.toml.
setup-title = Configurar este hub
setup-help = Digite o código de configuração escrito no integra.toml deste hub (na partição de inicialização do cartão). Ele torna este navegador o primeiro administrador do centro, uma única vez.
setup-code = Código de configuração
setup-pair = Tornar este navegador o administrador
setup-wrong = Este não é o código de configuração do integra.toml do hub. Confira e digite de novo (as tentativas são limitadas).
setup-used = Este código de configuração já foi usado: peça um PIN a um administrador na página de administração.
setup-no-code = Este hub ainda não tem código de configuração nem administrador. Para adicionar: no cartão do hub, abra o integra.toml na partição de inicialização com um editor de texto, acrescente uma linha setup_code = "…" com 10 ou mais dígitos seus, escolhidos ao acaso, e desligue e ligue o hub.
setup-no-code-admin = Este hub não tem código de configuração: peça um PIN a um administrador na página de administração.
setup-done = Este navegador agora é o administrador. Abrindo a página de administração…
