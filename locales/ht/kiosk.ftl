# Bòn pou vizitè yo.
kiosk-welcome = Byenveni! Touche la pou kreyòl.
kiosk-home = Kòmansman
kiosk-back = Retounen
kiosk-larger = Lèt pi gwo
kiosk-busy = Tann yon ti moman, tanpri…
kiosk-go-to-reception = Padon, sistèm nan pa mache kounye a. Tanpri ale nan resepsyon an.
# On the welcome screen while the hub cannot be reached (no language buttons then).
kiosk-offline-welcome = Ekran sa a pa ka bay nimewo kounye a. Tanpri ale nan resepsyon an: y ap ede w.
kiosk-services-title = Kisa ou bezwen jodi a?
kiosk-appointments = Mwen gen randevou / pran yon randevou
kiosk-activities = Aktivite an gwoup
kiosk-status-open = { $count ->
    [0] Louvri · pèsonn p ap tann
    [one] Louvri · 1 moun ap tann · anviwon { $minutes } min
   *[other] Louvri · { $count } moun ap tann · anviwon { $minutes } min
}
kiosk-status-closed = Fèmen kounye a
kiosk-priority-question = Èske ou bezwen pase anvan jodi a?
kiosk-priority-note = Touche desen ki koresponn ak ou a. Ou pa bezwen montre okenn papye.
kiosk-priority-skip = Non, kontinye
kiosk-ticket-title = Nimewo ou se
kiosk-ticket-ahead = { $count ->
    [0] Pa gen pèsonn devan ou.
    [one] Gen 1 moun devan ou.
   *[other] Gen { $count } moun devan ou.
}
kiosk-ticket-wait = Tan pou tann: anviwon { $minutes } min.
kiosk-ticket-take = Pran tikè ki enprime a anba a.
kiosk-ticket-remember = Enprimant lan pa mache. Tanpri sonje nimewo ou: { $number }. Li valab.
kiosk-done = Fini
kiosk-checkin-title = Randevou ou
kiosk-checkin-hint = Tape kòd ki sou papye randevou ou a.
kiosk-delete = Efase
kiosk-ok = Dakò
kiosk-book = Pran yon nouvo randevou
kiosk-book-service = Pou ki sèvis randevou a ye?
kiosk-book-day = Ki jou?
kiosk-book-time = Ki lè?
kiosk-book-none = Pa gen randevou lib nan jou k ap vini yo. Tanpri mande nan resepsyon an.
kiosk-slots-free = { $count ->
    [0] Plen
    [one] 1 randevou lib
   *[other] { $count } randevou lib
}
kiosk-slot-full = Pran deja
kiosk-contact-title = Prenon ou ak telefòn ou (si ou vle)
kiosk-contact-why = Yo ede nou avèti ou si randevou a chanje. Ou ka sote etap sa a.
kiosk-contact-name = Prenon
kiosk-contact-phone = Telefòn
kiosk-space = Espas
kiosk-skip = Sote
kiosk-next = Kontinye
kiosk-confirm-appointment = Randevou ou pran
kiosk-confirm-code = Kòd ou pou anrejistre lè ou rive:
kiosk-slip-take = Pran papye ki enprime a anba a.
kiosk-slip-remember = Enprimant lan pa mache. Tanpri ekri kòd ou: { $code }.
kiosk-activities-title = Aktivite an gwoup
kiosk-activities-none = Pa gen aktivite nan jou k ap vini yo.
kiosk-seats-left = { $count ->
    [one] Rete 1 plas
   *[other] Rete { $count } plas
}
kiosk-full = Plen · { $count ->
    [0] pèsonn sou lis datant lan
    [one] 1 moun sou lis datant lan
   *[other] { $count } moun sou lis datant lan
}
kiosk-sign-up = Enskri
kiosk-join-waitlist = Antre sou lis datant lan
kiosk-confirm-activity = Plas ou rezève
kiosk-confirm-waitlist = Ou se nimewo { $position } sou lis datant lan
kiosk-confirm-attended = Nou anrejistre ou prezan. Byenveni!
kiosk-status-open-plain = Louvri kounye a
kiosk-ticket-discreet = Yon moun nan ekip la ap vin chèche ou.
kiosk-too-many = Tann yon ti moman, tanpri. Eseye ankò nan yon minit oswa mande nan resepsyon an.
kiosk-code-wrong-wait = Kòd sa a pa mache. Ou ka eseye ankò nan { $seconds } segonn, oswa mande nan resepsyon an.
kiosk-too-many-wait = Tann yon ti moman, tanpri. Kyòs la ap aksepte kòd ankò nan { $seconds } segonn, oswa mande nan resepsyon an.
kiosk-follow = Swiv tou pa w sou telefòn ou
kiosk-follow-booking = Gade l oswa anile l sou telefòn ou
kiosk-idle-warning = Ou la toujou? N ap retounen nan kòmansman an nan { $seconds } segonn.
kiosk-idle-continue = Kontinye
kiosk-opens-today = Fèmen · ap louvri jodi a a { $time }
kiosk-opens-tomorrow = Fèmen · ap louvri demen a { $time }
kiosk-opens-day = Fèmen · ap louvri { $day } a { $time }
kiosk-listen = Li ekran sa a fò
kiosk-stop-reading = Sispann li
kiosk-status-short = { $count ->
    [0] Pèsonn p ap tann
    [one] 1 ap tann · { $minutes } min
   *[other] { $count } ap tann · { $minutes } min
}
kiosk-page-previous = Paj anvan an
kiosk-page-next = Paj apre a
kiosk-today = Jodi a
kiosk-tomorrow = Demen
kiosk-ticket-priority = Y ap rele w an premye: { $class }
