# The hub's setup page (/setup): the first admin with the setup code from integra.toml.
setup-title = Configurar este hub
setup-help = Escriba el código de configuración que está en el integra.toml de este hub (en la partición de arranque de la tarjeta). Convierte este navegador en el primer administrador del centro, una sola vez.
setup-code = Código de configuración
setup-pair = Hacer de este navegador el administrador
setup-wrong = Este no es el código de configuración del integra.toml del hub. Revíselo y escríbalo de nuevo (los intentos son limitados).
setup-used = Este código de configuración ya se usó: pida un PIN a un administrador en la página de administración.
setup-no-code = Este hub no tiene código de configuración ni administrador todavía. Para agregarlo: en la tarjeta del hub, abra integra.toml en la partición de arranque con un editor de texto, agregue una línea setup_code = "…" con 10 o más dígitos propios, elegidos al azar, y apague y encienda el hub.
setup-no-code-admin = Este hub no tiene código de configuración: pida un PIN a un administrador en la página de administración.
setup-done = Este navegador ya es el administrador. Abriendo la página de administración…
