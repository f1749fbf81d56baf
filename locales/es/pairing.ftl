# La pantalla de emparejamiento de un dispositivo que aún no tiene token, y los dispositivos en espera de la página de administración.
pairing-title-keypad = Emparejar este dispositivo con el hub del centro
pairing-help-keypad = En la página de administración, cree un PIN para la función de este dispositivo y escríbalo aquí. Antes, compruebe que la huella del hub de abajo es la que muestra la página de administración.
pairing-title-code = Emparejar esta pantalla
pairing-help-code = En la página de administración, en «Dispositivos en espera», busque esta dirección, escriba este código y elija la función y el nombre.
pairing-hub = Hub: { $hub }
pairing-fingerprint = Huella del hub (compárela con la página de administración):
pairing-pin = PIN
pairing-delete = Borrar
pairing-ok = Emparejar
pairing-address = Dirección:
pairing-looking = Buscando el hub del centro…
pairing-pairing = Emparejando…
pairing-wrong = No se emparejó: el PIN es incorrecto, ya se usó o caducó, o este no es el hub del centro.
pairing-wrong-left = { $left ->
    [0] Este PIN no emparejó (incorrecto, usado o caducado). No quedan intentos: espere 10 minutos.
    [one] Este PIN no emparejó (incorrecto, usado o caducado). Queda 1 intento; después, espere 10 minutos.
   *[other] Este PIN no emparejó (incorrecto, usado o caducado). Quedan { $left } intentos; después, espere 10 minutos.
}
pairing-refused = El hub no acepta por ahora (demasiados intentos o demasiados dispositivos en espera): espere unos minutos y vuelva a intentarlo.
pairing-code-failed = El código no emparejó. Aparecerá un código nuevo: escriba el nuevo en la página de administración.
pairing-paired = Emparejado. Iniciando…
pairing-console-waiting = Dispositivos en espera
pairing-console-waiting-help = Una pantalla sin táctil (la TV de la sala) muestra un código y su dirección. Busque aquí su dirección, escriba el código que ve en esa pantalla y elija su función y su nombre.
pairing-console-none = Ningún dispositivo está en espera.
pairing-console-address = Dirección
pairing-console-since = Desde
pairing-console-code = Código en su pantalla
pairing-console-role = Función
pairing-console-name = Nombre
pairing-console-approve = Aprobar
pairing-console-approved = Aprobado: el dispositivo se está emparejando.
pairing-console-display-pin = Una pantalla de sala no tiene teclado: muestra su propio código y su dirección. Apruébela abajo, en «Dispositivos en espera». Un PIN de pantalla solo sirve para `pair_pin` en su integra.toml.
