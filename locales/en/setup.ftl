# The hub's setup page (/setup): the first admin with the setup code from integra.toml.
setup-title = Set up this hub
setup-help = Type the setup code written in this hub's integra.toml (on the card's boot partition). It makes this browser the center's first admin, once.
setup-code = Setup code
setup-pair = Make this browser the admin
setup-wrong = This is not the setup code in the hub's integra.toml. Check it and type it again (tries are limited).
setup-used = This setup code is already used: ask an admin for a PIN on the admin page.
setup-no-code = This hub has no setup code and no admin yet. To add one: on the hub's card, open integra.toml on the boot partition with a text editor, add a line setup_code = "…" with 10 or more digits of your own, chosen at random, and switch the hub off and on.
setup-no-code-admin = This hub has no setup code: ask an admin for a PIN on the admin page.
setup-done = This browser is the admin now. Opening the admin page…
