# The technician screen (held corner + setup code) and the "cannot start" screen.
tech-title = Tela do técnico
tech-prompt = Digite o código de configuração deste aparelho (setup_code no integra.toml).
tech-wrong = { $left ->
    [one] Código errado. Resta uma tentativa antes de uma pausa.
   *[other] Código errado. Restam { $left } tentativas antes de uma pausa.
}
tech-paused = Códigos errados demais. Tente de novo em { $minutes } min.
tech-no-code = Este aparelho não tem código de configuração: escreva setup_code = "…" no integra.toml, na partição de inicialização do cartão, e reinicie o aparelho.
tech-delete = Apagar
tech-ok = Confirmar
tech-close = Fechar
tech-address = Endereço
tech-hub = Central
tech-fingerprint = Impressão digital da central
tech-version = Versão
tech-role = Função
tech-checks = Verificações
tech-checking = Verificando…
tech-log = Últimas linhas do registro
tech-print = Imprimir uma página de teste
tech-printing = Imprimindo uma página de teste…
tech-restart = Reiniciar
tech-restarting = Reiniciando…
tech-repair = Parear de novo
tech-repair-failed = Não foi possível esquecer o pareamento: { $error }
cannot-start-title = Este aparelho não consegue iniciar
cannot-start-intro = Corrija o que está marcado abaixo (quase sempre no integra.toml, na partição de inicialização do cartão). O aparelho verifica de novo sozinho e inicia quando estiver corrigido.
cannot-start-retry = Verificado às { $time }; nova verificação a cada { $seconds } s.
