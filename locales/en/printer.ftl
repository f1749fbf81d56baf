# Printed tickets and slips.
print-ticket-title = Your number
print-people-ahead = { $count ->
    [0] Nobody is ahead of you
    [one] 1 person is ahead of you
   *[other] { $count } people are ahead of you
}
print-wait = Estimated wait: about { $minutes } min
print-keep = Keep this ticket and watch the screen for your number.
print-appointment-title = Your appointment
print-appointment-code = Your check-in code
print-bring = For your appointment:
print-activity-title = Your place in the activity
print-seat = Your seat is booked.
print-waitlist = The activity is full. You are number { $position } on the waitlist.
print-place = Place: { $place }
print-code = Code: { $code }
print-when = { $weekday } { $date }, { $time }
print-test-title = Printer test
print-test-sample = Hello! This printer works.
print-test-charset = Characters of the code page:
weekday-mon = Monday
weekday-tue = Tuesday
weekday-wed = Wednesday
weekday-thu = Thursday
weekday-fri = Friday
weekday-sat = Saturday
weekday-sun = Sunday
print-discreet-appointment = A staff member will see you.
print-follow = Follow your turn on your phone:
