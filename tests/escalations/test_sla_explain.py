"""How clock durations read on the case page and the confirmation."""

from escalations.sla.explain import duration_text, wall_text


def test_business_time_is_shown_in_hours_and_wall_time_in_days():
    assert duration_text(3 * 480) == "24 h"  # three business days of eight hours, not "1 d"
    assert duration_text(45) == "45 min"
    assert wall_text(4380) == "3 d 1 h"
