# The pairing screen of a device that has no token yet, and the admin page's waiting devices.
pairing-title-keypad = Pair this device with the center's hub
pairing-help-keypad = On the admin page, make a PIN for this device's role and type it here. First check that the hub's fingerprint below is the one the admin page shows.
pairing-title-code = Pair this screen
pairing-help-code = On the admin page, under "Waiting devices", find this address, type this code, then choose the role and the name.
pairing-hub = Hub: { $hub }
pairing-fingerprint = Hub fingerprint (compare it with the admin page):
pairing-pin = PIN
pairing-delete = Delete
pairing-ok = Pair
pairing-address = Address:
pairing-looking = Looking for the center's hub…
pairing-pairing = Pairing…
pairing-wrong = This did not pair: the PIN is wrong, used or expired, or this is not the center's hub.
pairing-wrong-left = { $left ->
    [0] This PIN did not pair (wrong, used or expired). No tries left: wait 10 minutes.
    [one] This PIN did not pair (wrong, used or expired). 1 try left, then wait 10 minutes.
   *[other] This PIN did not pair (wrong, used or expired). { $left } tries left, then wait 10 minutes.
}
pairing-refused = The hub refuses for now (too many tries, or too many devices waiting): wait a few minutes, then try again.
pairing-code-failed = The code did not pair. A new code will appear: type the new one on the admin page.
pairing-paired = Paired. Starting…
pairing-console-waiting = Waiting devices
pairing-console-waiting-help = A screen without touch (the lobby TV) shows a code and its address. Find its address here, type the code you see on that screen, choose its role and name.
pairing-console-none = No device is waiting.
pairing-console-address = Address
pairing-console-since = Since
pairing-console-code = Code on its screen
pairing-console-role = Role
pairing-console-name = Name
pairing-console-approve = Approve
pairing-console-approved = Approved: the device is pairing.
pairing-console-display-pin = A lobby display has no keypad: it shows its own code and address. Approve it under "Waiting devices" below. A display PIN is only for `pair_pin` in its integra.toml.
