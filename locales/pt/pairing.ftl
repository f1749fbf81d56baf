# A tela de pareamento de um dispositivo que ainda não tem token, e os dispositivos em espera da página de administração.
pairing-title-keypad = Parear este dispositivo com o hub do centro
pairing-help-keypad = Na página de administração, gere um PIN para a função deste dispositivo e digite-o aqui. Antes, confira se a impressão digital do hub abaixo é a que a página de administração mostra.
pairing-title-code = Parear esta tela
pairing-help-code = Na página de administração, em "Dispositivos em espera", encontre este endereço, digite este código e escolha a função e o nome.
pairing-hub = Hub: { $hub }
pairing-fingerprint = Impressão digital do hub (compare com a página de administração):
pairing-pin = PIN
pairing-delete = Apagar
pairing-ok = Parear
pairing-address = Endereço:
pairing-looking = Procurando o hub do centro…
pairing-pairing = Pareando…
pairing-wrong = Não pareou: o PIN está errado, já foi usado ou expirou, ou este não é o hub do centro.
pairing-wrong-left = { $left ->
    [0] Este PIN não pareou (errado, usado ou expirado). Não restam tentativas: aguarde 10 minutos.
    [one] Este PIN não pareou (errado, usado ou expirado). Resta 1 tentativa; depois, aguarde 10 minutos.
   *[other] Este PIN não pareou (errado, usado ou expirado). Restam { $left } tentativas; depois, aguarde 10 minutos.
}
pairing-refused = O hub não aceita por enquanto (tentativas demais ou dispositivos demais em espera): aguarde alguns minutos e tente de novo.
pairing-code-failed = O código não pareou. Um código novo vai aparecer: digite o novo na página de administração.
pairing-paired = Pareado. Iniciando…
pairing-console-waiting = Dispositivos em espera
pairing-console-waiting-help = Uma tela sem toque (a TV da recepção) mostra um código e o seu endereço. Encontre aqui o endereço, digite o código que você vê nessa tela e escolha a função e o nome.
pairing-console-none = Nenhum dispositivo em espera.
pairing-console-address = Endereço
pairing-console-since = Desde
pairing-console-code = Código na tela dele
pairing-console-role = Função
pairing-console-name = Nome
pairing-console-approve = Aprovar
pairing-console-approved = Aprovado: o dispositivo está pareando.
pairing-console-display-pin = Uma tela da recepção não tem teclado: ela mostra o próprio código e o endereço. Aprove-a abaixo, em "Dispositivos em espera". Um PIN de tela serve só para `pair_pin` no integra.toml dela.
