# Paj vizitè a louvri sou telefòn li ak kòd QR tikè li oswa papye li.
follow-number = Nimewo w
follow-ahead = { $count ->
    [one] Gen 1 moun devan w
   *[other] Gen { $count } moun devan w
}
follow-next = Se ou ki pwochen
follow-wait = Apeprè { $minutes } min. Paj sa a mete tèt li ajou pou kont li.
follow-live = Paj sa a mete tèt li ajou pou kont li. Rete toupre.
follow-called = Se tou pa w — { $counter }
follow-called-at = Tanpri ale kounye a.
follow-serving = Y ap sèvi w — { $counter }
follow-done = Mèsi pou vizit ou
follow-closed = Tikè sa a fèmen. Tanpri mande nan resepsyon an.
follow-sound = Limen son an
follow-question = Kijan vizit ou te ye?
follow-face-1 = Pa bon
follow-face-2 = Konsa konsa
follow-face-3 = Bon
follow-waited-too-long = Mwen te tann twòp
follow-not-understood = Mwen pa t ka konprann
follow-got-what-needed = Mwen jwenn sa m te bezwen
follow-send = Voye
follow-thanks = Mèsi pou repons ou.
follow-gone = Lyen sa a pa louvri ankò
follow-gone-detail = Li bon sèlman jou tikè a. Tanpri mande nan resepsyon an.
follow-too-many = Twòp demann. Tann yon minit epi eseye ankò.
follow-appointment = Randevou w
follow-signup = Aktivite w
follow-when = { $date } a { $time }
follow-when-label = Kilè
follow-place = Ki kote
follow-bring = Pou randevou w
follow-cancel = Anile
follow-cancel-confirm = Èske ou vle anile? Lè a ap lib pou yon lòt moun.
follow-cancel-yes = Wi, anile
follow-cancel-no = Non, kenbe l
follow-cancelled = Anile. Mèsi paske ou fè nou konnen.
follow-checked-in = Ou anrejistre rive w. Swiv nimewo w sou nouvo tikè a.
follow-missed = Randevou sa a pase deja. Tanpri mande nan resepsyon an.
follow-waitlist = Ou sou lis datant lan. N ap kenbe yon plas pou ou si youn vin lib.
follow-language = Lang
follow-day-ended = Jounen an fini
follow-day-ended-detail = Sant lan fèmen anvan yo te rele nimewo ou. Tanpri tounen yon lòt jou sant lan louvri epi pran yon nouvo nimewo nan kyòs la. Si ou te tann lontan, di resepsyon an sa.
