city-title = Sant vil la: { $centers ->
    [one] yon sant
   *[other] { $centers } sant
}
city-centers = Sant
city-center = Sant
city-per-center = Vizitè pa sant
city-satisfaction-per-center = Kijan vizit ou te ye? — pa sant
city-last-sent = Dènye chif yo resevwa
city-never = janm
city-empty = Pa gen okenn sant ki voye chif pou peryòd sa a.
city-how-read = Chak sant voye sèlman chif: pa gen non, pa gen nimewo telefòn, pa gen nimewo tikè, pa gen kòd. Tan datant yo se sa ki nan rapò chak sant; «Tout sant yo» mete tout vizitè peryòd la ansanm.
city-all-centers = Tout sant yo
city-bookings-per-center = Randevou, aktivite ak opinyon pa sant
