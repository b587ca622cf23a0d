//! buqi-office: what the city office does with merged surveys — the action plan from the gaps,
//! the figures, the yearly progress report and the exports. Pure functions over the schema's
//! types: no HTTP and no SQL here (those are `buqi serve`'s).
