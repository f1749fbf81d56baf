counter-call-next = Call next
counter-recall = Call again
counter-start = Visitor arrived
counter-finish = Finish
counter-no-show = Did not come
counter-transfer = Send to…
counter-reprint = Reprint
counter-cancel = Back
counter-nobody = Nobody at this counter.
counter-waiting = { $count ->
    [0] Nobody is waiting.
    [one] 1 person waiting.
   *[other] { $count } people waiting.
}
counter-offline = No link to the hub: reconnecting…
counter-stale = The list on this screen may be out of date: nothing was done. Wait until the link is back.
counter-state-called = called
counter-state-serving = being served
counter-keys = Keyboard: N = call next
counter-next-up = Next:
counter-discreet = discreet: do not say the service
counter-protection-alert = Urgent protection — ticket { $ticket }, since { $since } ({ $lang }). Take them somewhere private.
counter-acknowledge = Seen
