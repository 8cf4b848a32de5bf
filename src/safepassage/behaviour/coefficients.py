"""The coefficients of the departure model: each a value, a range, and a source or a stated
assumption; a coefficient fitted to an episode says so in ``calibrated_on``.

Signs follow the evacuation literature (docs/behaviour.md): perceived danger at home is the strongest
push; distrust of the pause (unilateral, fighting continuing), fear of screening and poor conditions
at the destination hold people back; people who saw the last window violated are less likely to go.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Coefficient", "Coefficients", "COEFFICIENTS", "HAZARD_LEVEL"]

# Zone.hazard on a 0-1 scale; "high" is the reference level of base_participation.
HAZARD_LEVEL = {"low": 0.0, "medium": 1.0 / 3.0, "high": 2.0 / 3.0, "extreme": 1.0}
REFERENCE_HAZARD = HAZARD_LEVEL["high"]


@dataclass(frozen=True)
class Coefficient:
    """One figure of the model: ``value`` within [``low``, ``high``]; ``unit``; where it comes from."""

    value: float
    low: float
    high: float
    unit: str
    basis: str
    calibrated_on: str | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"coefficient value {self.value} outside its range [{self.low}, {self.high}]")


@dataclass(frozen=True)
class Coefficients:
    """All coefficients; ``COEFFICIENTS`` holds the shipped ones."""

    base_participation: Coefficient
    unilateral_logit: Coefficient
    hostilities_logit: Coefficient
    screening_risk_logit: Coefficient
    destination_logit: Coefficient
    prior_displacement_logit: Coefficient
    hazard_logit: Coefficient
    distrust_delay_log: Coefficient
    social_proof_odds: Coefficient
    reluctant_logit: Coefficient
    willing_share: Coefficient

    def items(self) -> list[tuple[str, Coefficient]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


COEFFICIENTS = Coefficients(
    base_participation=Coefficient(
        value=0.21,
        low=0.03,
        high=0.6,
        unit="chance per window of a willing person ready and still here",
        basis=(
            "The chance that a willing person who is ready and still here chooses to go in one window under an "
            "all-party pause, no fighting, no screening risk, a decent destination, zone hazard 'high', before "
            "anyone is seen to go (taken again at every window). FITTED (safepassage.evaluate.calibrate."
            "fit_base_participation, bisection, 10 steps: 0.2095) so that the first corridor days, 5-7 Nov 2023, "
            "reproduce the observed mean daily flow, 7,333/day (OCHA), with the social cue, the willing share (0.3) "
            "and the reluctant odds set beforehand; the later days, 8-10 and 15 Nov, are held out (episodes "
            "gaza-corridor-2023-11-08 and -15). Range: Flee's daily move chance is 0.3 outside conflict zones "
            "(djgroen/flee SimulationSettings); hurricane participation in mandatory-order areas (Baker 1991) "
            "bounds the cumulative share."
        ),
        calibrated_on="gaza-corridor-2023-11-05",
    ),
    unilateral_logit=Coefficient(
        value=-1.5,
        low=-2.5,
        high=-0.5,
        unit="logit",
        basis=(
            "ASSUMPTION. A pause announced by one party while the other has not agreed is trusted less: the UN asks "
            "that pauses be agreed by all parties (news.un.org/en/story/2023/11/1143422). "
            "Odds x0.22 (range x0.08-x0.61)."
        ),
    ),
    hostilities_logit=Coefficient(
        value=-2.0,
        low=-3.0,
        high=-1.0,
        unit="logit per unit driver",
        basis=(
            "ASSUMPTION. Fighting around the corridor during the windows: moving is itself dangerous (explosions in "
            "the corridor on 10 Nov 2023, OCHA FU35). Odds x0.14 at full strength (range x0.05-x0.37)."
        ),
    ),
    screening_risk_logit=Coefficient(
        value=-2.0,
        low=-4.0,
        high=-1.0,
        unit="logit per unit driver",
        basis=(
            "ASSUMPTION. Fear of detention or of being turned back at screening (arrests at the Salah al-Din "
            "checkpoint, OCHA FU40). Driver = perceived share held."
        ),
    ),
    destination_logit=Coefficient(
        value=-1.0,
        low=-2.0,
        high=0.0,
        unit="logit per unit driver",
        basis=(
            "ASSUMPTION. A destination as bad as home holds people back; having somewhere to go is a facilitator in "
            "hurricane evacuation studies (Lindell et al. 2020, preparation-time and decision predictors)."
        ),
    ),
    prior_displacement_logit=Coefficient(
        value=0.5,
        low=-0.5,
        high=1.0,
        unit="logit per unit driver",
        basis=(
            "ASSUMPTION. People already displaced once have less to leave behind; "
            "the range allows fatigue (negative)."
        ),
    ),
    hazard_logit=Coefficient(
        value=3.0,
        low=1.5,
        high=4.5,
        unit="logit per hazard level (0-1)",
        basis=(
            "ASSUMPTION. Perceived danger at home is the strongest predictor of evacuation (Baker 1991; Huang, "
            "Lindell & Prater 2016); Flee gives conflict zones a move chance of 1.0/day against 0.3 elsewhere "
            "(djgroen/flee SimulationSettings). One hazard level (1/3) = odds x2.7."
        ),
    ),
    distrust_delay_log=Coefficient(
        value=0.7,
        low=0.3,
        high=1.2,
        unit="log-hours per unit distrust",
        basis=(
            "ASSUMPTION. People wait to see whether windows hold before setting out: the median readiness time is "
            "multiplied by exp(0.7) per unit of distrust (unilateral + hostilities). Gaza 5-9 Nov 2023 daily flows "
            "rose from ~2,000 to ~50,000 over four days of held windows."
        ),
    ),
    social_proof_odds=Coefficient(
        value=13.0,
        low=5.0,
        high=50.0,
        unit="odds multiplier per unit share of the willing seen to have gone (1 + kappa*F)",
        basis=(
            "ASSUMPTION, from the literature, chosen before it was run on any episode. Social cues: seeing others "
            "leave, and arrive, is an input to the protective action decision (Lindell & Perry 2012, The Protective "
            "Action Decision Model, Risk Analysis 32(4)). Its form is the Bass (1969) diffusion hazard p + q*F "
            "written on the odds: the odds of going multiply by 1 + (q/p)*F, F the people of the zone seen to set "
            "out in windows that held, as a share of its willing people. q/p = 0.38/0.03 ~ 13 is the mean of the "
            "meta-analysis of diffusion models (Sultan, Farley & Lehmann 1990, J. Marketing Research 27); the "
            "range covers their typical p (0.01-0.03) and q (0.3-0.5)."
        ),
    ),
    reluctant_logit=Coefficient(
        value=-2.3,
        low=-4.6,
        high=-1.2,
        unit="logit",
        basis=(
            "ASSUMPTION, chosen before it was run on any episode. Where a scenario declares that only a share of the "
            "pool is willing to go once they see it is safe (willing_share < 1), the others go with odds x0.1 "
            "(range x0.01-x0.3) and are not moved by seeing others go (a two-class mixture: the willing and the rest). "
            "Range: Flee's move chance in an ordinary location is 0.3 of a conflict zone's "
            "(djgroen/flee SimulationSettings); x0.01 is close to its camp move chance."
        ),
    ),
    willing_share=Coefficient(
        value=0.3,
        low=0.1,
        high=1.0,
        unit="share of the pool (wants_to_leave)",
        basis=(
            "ASSUMPTION, used where a scenario does not declare drivers.willing_share. The pool is everyone who "
            "could leave (everyone under an order: Evacuation.wants_to_leave); this is the share of it willing to go "
            "once they see it is safe, the rest going with odds exp(reluctant_logit). 0.3 is the share with which "
            "base_participation was fitted (the people still north of Wadi Gaza on 5 Nov 2023, after three weeks "
            "under the order; not found, assumed). Declare it per scenario or zone: 1 where the pool names only "
            "people who want to leave."
        ),
    ),
)
