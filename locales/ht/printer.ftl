# Tikè ak papye ki enprime yo.
print-ticket-title = Nimewo ou
print-people-ahead = { $count ->
    [0] Pa gen pèsonn devan ou
    [one] Gen 1 moun devan ou
   *[other] Gen { $count } moun devan ou
}
print-wait = Tan pou tann: anviwon { $minutes } min
print-keep = Kenbe papye sa a epi gade ekran an pou wè nimewo ou.
print-appointment-title = Randevou ou
print-appointment-code = Kòd ou pou anrejistre lè ou rive
print-bring = Pou randevou w:
print-activity-title = Plas ou nan aktivite a
print-seat = Plas ou rezève.
print-waitlist = Aktivite a plen. Ou se nimewo { $position } sou lis datant lan.
print-place = Kote: { $place }
print-code = Kòd: { $code }
print-when = { $weekday } { $date }, { $time }
print-test-title = Tès enprimant lan
print-test-sample = Bonjou! Enprimant sa a mache.
print-test-charset = Karaktè paj kòd la:
weekday-mon = lendi
weekday-tue = madi
weekday-wed = mèkredi
weekday-thu = jedi
weekday-fri = vandredi
weekday-sat = samdi
weekday-sun = dimanch
print-discreet-appointment = Yon moun nan ekip la ap resevwa ou.
print-follow = Swiv tou pa w sou telefòn ou:
