counter-call-next = Rele pwochen moun nan
counter-recall = Rele ankò
counter-start = Moun nan rive
counter-finish = Fini
counter-no-show = Li pa vini
counter-transfer = Voye bay…
counter-reprint = Enprime ankò
counter-cancel = Retounen
counter-nobody = Pa gen pèsonn nan gichè sa a.
counter-waiting = { $count ->
    [0] Pa gen pèsonn k ap tann.
    [one] 1 moun ap tann.
   *[other] { $count } moun ap tann.
}
counter-offline = Pa gen koneksyon ak sèvè a: n ap rekonekte…
counter-stale = Lis ki sou ekran sa a ka pa ajou: anyen pa fèt. Tann koneksyon an tounen.
counter-state-called = yo rele l
counter-state-serving = y ap sèvi l
counter-keys = Klavye: N = rele pwochen moun nan
counter-next-up = Apre sa:
counter-discreet = diskrè: pa di sèvis la
counter-protection-alert = Pwoteksyon ijan — tikè { $ticket }, depi { $since } ({ $lang }). Mennen moun nan yon kote prive.
counter-acknowledge = Mwen wè l
