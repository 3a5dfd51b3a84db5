//! POST /recommend and tip feedback: one tip or none, the decision log, cool-downs, consent, isolation.
