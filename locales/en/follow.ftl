# The page a visitor opens on their phone from the QR code of their ticket or slip.
follow-number = Your number
follow-ahead = { $count ->
    [one] 1 person is ahead of you
   *[other] { $count } people are ahead of you
}
follow-next = You are next
follow-wait = About { $minutes } min. This page updates by itself.
follow-live = This page updates by itself. Stay nearby.
follow-called = Your turn — { $counter }
follow-called-at = Please go there now.
follow-serving = You are being served — { $counter }
follow-done = Thank you for your visit
follow-closed = This ticket is closed. Please ask at reception.
follow-sound = Turn on sound
follow-question = How was your visit?
follow-face-1 = Not good
follow-face-2 = OK
follow-face-3 = Good
follow-waited-too-long = I waited too long
follow-not-understood = I could not understand
follow-got-what-needed = I got what I needed
follow-send = Send
follow-thanks = Thank you for your answer.
follow-gone = This link no longer opens
follow-gone-detail = It is valid only on the day of the ticket. Please ask at reception.
follow-too-many = Too many requests. Please wait a minute and try again.
follow-appointment = Your appointment
follow-signup = Your activity
follow-when = { $date } at { $time }
follow-when-label = When
follow-place = Where
follow-bring = For your appointment
follow-cancel = Cancel
follow-cancel-confirm = Do you want to cancel? The time becomes free for someone else.
follow-cancel-yes = Yes, cancel
follow-cancel-no = No, keep it
follow-cancelled = Cancelled. Thank you for telling us.
follow-checked-in = You have checked in. Follow your number on the new ticket.
follow-missed = This appointment has passed. Please ask at reception.
follow-waitlist = You are on the waiting list. We will keep a seat for you if one becomes free.
follow-language = Language
follow-day-ended = The day has ended
follow-day-ended-detail = The center closed before your number was called. Please come back on another day the center is open and take a new number at the kiosk. If you waited a long time, tell reception.
