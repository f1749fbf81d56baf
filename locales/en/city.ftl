city-title = The city's centers: { $centers ->
    [one] one center
   *[other] { $centers } centers
}
city-centers = Centers
city-center = Center
city-per-center = Visitors by center
city-satisfaction-per-center = How was your visit? — per center
city-last-sent = Last figures received
city-never = never
city-empty = No center sent figures for this period.
city-how-read = Each center sends only numbers: no names, no phone numbers, no ticket numbers, no codes. Waiting times are those of each center's own report; "All centers" puts every visitor of the period together.
city-all-centers = All centers
city-bookings-per-center = Appointments, activities and answers by center
