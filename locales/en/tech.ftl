# The technician screen (held corner + setup code) and the "cannot start" screen.
tech-title = Technician screen
tech-prompt = Type this device's setup code (setup_code in integra.toml).
tech-wrong = { $left ->
    [one] Wrong code. One more try before a pause.
   *[other] Wrong code. { $left } more tries before a pause.
}
tech-paused = Too many wrong codes. Try again in { $minutes } min.
tech-no-code = This device has no setup code: write setup_code = "…" in integra.toml on the card's boot partition, then restart the device.
tech-delete = Delete
tech-ok = OK
tech-close = Close
tech-address = Address
tech-hub = Hub
tech-fingerprint = Hub fingerprint
tech-version = Version
tech-role = Role
tech-checks = Checks
tech-checking = Checking…
tech-log = Last log lines
tech-print = Print a test page
tech-printing = Printing a test page…
tech-restart = Restart
tech-restarting = Restarting…
tech-repair = Pair again
tech-repair-failed = The pairing could not be forgotten: { $error }
cannot-start-title = This device cannot start
cannot-start-intro = Fix what is marked below (most often in integra.toml, on the card's boot partition). The device checks again by itself and starts when it is fixed.
cannot-start-retry = Checked at { $time }; checking again every { $seconds } s.
