# The visitor's kiosk.
kiosk-welcome = Welcome! Touch here for English.
kiosk-home = Start
kiosk-back = Back
kiosk-larger = Larger text
kiosk-busy = One moment, please…
kiosk-go-to-reception = Sorry, the system is not working right now. Please go to reception.
# On the welcome screen while the hub cannot be reached (no language buttons then).
kiosk-offline-welcome = This screen cannot give numbers right now. Please go to reception: they will help you.
kiosk-services-title = What do you need today?
kiosk-appointments = I have an appointment / book one
kiosk-activities = Group activities
kiosk-status-open = { $count ->
    [0] Open · nobody waiting
    [one] Open · 1 person waiting · about { $minutes } min
   *[other] Open · { $count } waiting · about { $minutes } min
}
kiosk-status-closed = Closed now
kiosk-priority-question = Do you need to be seen first today?
kiosk-priority-note = Touch the picture that fits you. You do not need to show any paper.
kiosk-priority-skip = No, continue
kiosk-ticket-title = Your number is
kiosk-ticket-ahead = { $count ->
    [0] Nobody is ahead of you.
    [one] 1 person is ahead of you.
   *[other] { $count } people are ahead of you.
}
kiosk-ticket-wait = Estimated wait: about { $minutes } min.
kiosk-ticket-take = Take your printed ticket below.
kiosk-ticket-remember = The printer is not working. Please remember your number: { $number }. It is valid.
kiosk-done = Done
kiosk-checkin-title = Your appointment
kiosk-checkin-hint = Type the code on your appointment paper.
kiosk-delete = Delete
kiosk-ok = OK
kiosk-book = Book a new appointment
kiosk-book-service = Which service is the appointment for?
kiosk-book-day = Which day?
kiosk-book-time = What time?
kiosk-book-none = There are no free appointments in the next days. Please ask at reception.
kiosk-slots-free = { $count ->
    [0] Full
    [one] 1 free appointment
   *[other] { $count } free appointments
}
kiosk-slot-full = Taken
kiosk-contact-title = Your first name and phone (optional)
kiosk-contact-why = They help us call you if the appointment changes. You can skip this.
kiosk-contact-name = First name
kiosk-contact-phone = Phone
kiosk-space = Space
kiosk-skip = Skip
kiosk-next = Continue
kiosk-confirm-appointment = Your appointment is booked
kiosk-confirm-code = Your code to check in:
kiosk-slip-take = Take your printed paper below.
kiosk-slip-remember = The printer is not working. Please write down your code: { $code }.
kiosk-activities-title = Group activities
kiosk-activities-none = There are no activities in the next days.
kiosk-seats-left = { $count ->
    [one] 1 seat left
   *[other] { $count } seats left
}
kiosk-full = Full · { $count ->
    [0] nobody on the waitlist
    [one] 1 person on the waitlist
   *[other] { $count } people on the waitlist
}
kiosk-sign-up = Sign up
kiosk-join-waitlist = Join the waitlist
kiosk-confirm-activity = Your seat is booked
kiosk-confirm-waitlist = You are number { $position } on the waitlist
kiosk-confirm-attended = You are checked in. Welcome!
kiosk-status-open-plain = Open now
kiosk-ticket-discreet = A staff member will come for you.
kiosk-too-many = One moment, please. Try again in a minute or ask at reception.
kiosk-code-wrong-wait = That code did not work. You can try again in { $seconds } seconds, or ask at reception.
kiosk-too-many-wait = One moment, please. The kiosk takes codes again in { $seconds } seconds, or ask at reception.
kiosk-follow = Follow your turn on your phone
kiosk-follow-booking = See or cancel it on your phone
kiosk-idle-warning = Are you still there? Going back to the start in { $seconds } seconds.
kiosk-idle-continue = Continue
kiosk-opens-today = Closed · opens today at { $time }
kiosk-opens-tomorrow = Closed · opens tomorrow at { $time }
kiosk-opens-day = Closed · opens { $day } at { $time }
kiosk-listen = Read this screen aloud
kiosk-stop-reading = Stop reading aloud
kiosk-status-short = { $count ->
    [0] Nobody waiting
    [one] 1 waiting · { $minutes } min
   *[other] { $count } waiting · { $minutes } min
}
kiosk-page-previous = Previous page
kiosk-page-next = Next page
kiosk-today = Today
kiosk-tomorrow = Tomorrow
kiosk-ticket-priority = You will be called first: { $class }
