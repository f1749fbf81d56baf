# The technician screen (held corner + setup code) and the "cannot start" screen.
tech-title = Pantalla técnica
tech-prompt = Escriba el código de instalación de este equipo (setup_code en integra.toml).
tech-wrong = { $left ->
    [one] Código incorrecto. Queda un intento antes de una pausa.
   *[other] Código incorrecto. Quedan { $left } intentos antes de una pausa.
}
tech-paused = Demasiados códigos incorrectos. Vuelva a intentarlo en { $minutes } min.
tech-no-code = Este equipo no tiene código de instalación: escriba setup_code = "…" en integra.toml, en la partición de arranque de la tarjeta, y reinicie el equipo.
tech-delete = Borrar
tech-ok = Aceptar
tech-close = Cerrar
tech-address = Dirección
tech-hub = Central
tech-fingerprint = Huella de la central
tech-version = Versión
tech-role = Función
tech-checks = Comprobaciones
tech-checking = Comprobando…
tech-log = Últimas líneas del registro
tech-print = Imprimir una página de prueba
tech-printing = Imprimiendo una página de prueba…
tech-restart = Reiniciar
tech-restarting = Reiniciando…
tech-repair = Emparejar de nuevo
tech-repair-failed = No se pudo olvidar el emparejamiento: { $error }
cannot-start-title = Este equipo no puede arrancar
cannot-start-intro = Corrija lo que se indica abajo (casi siempre en integra.toml, en la partición de arranque de la tarjeta). El equipo vuelve a comprobar solo y arranca cuando está corregido.
cannot-start-retry = Comprobado a las { $time }; se comprueba de nuevo cada { $seconds } s.
