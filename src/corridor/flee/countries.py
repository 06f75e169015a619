"""Country names as Flee scenarios write them (`Burkina_Faso`, `DRC`, ...) to ISO 3166-1 alpha-2.

Names are matched case-insensitively, with spaces, underscores, hyphens and dots treated alike.
"""

from __future__ import annotations

import re

_TABLE = """
Afghanistan=AF Albania=AL Algeria=DZ Andorra=AD Angola=AO Antigua_and_Barbuda=AG Argentina=AR
Armenia=AM Australia=AU Austria=AT Azerbaijan=AZ Bahamas=BS Bahrain=BH Bangladesh=BD
Barbados=BB Belarus=BY Belgium=BE Belize=BZ Benin=BJ Bhutan=BT Bolivia=BO
Bosnia_and_Herzegovina=BA Botswana=BW Brazil=BR Brunei=BN Bulgaria=BG Burkina_Faso=BF
Burundi=BI Cabo_Verde=CV Cape_Verde=CV Cambodia=KH Cameroon=CM Canada=CA
Central_African_Republic=CF CAR=CF Chad=TD Chile=CL China=CN Colombia=CO Comoros=KM
Congo=CG Republic_of_the_Congo=CG Congo_Brazzaville=CG Congo_Kinshasa=CD
Democratic_Republic_of_the_Congo=CD Democratic_Republic_of_Congo=CD DR_Congo=CD DRC=CD
Costa_Rica=CR Cote_d_Ivoire=CI Ivory_Coast=CI Croatia=HR Cuba=CU Cyprus=CY Czechia=CZ
Czech_Republic=CZ Denmark=DK Djibouti=DJ Dominica=DM Dominican_Republic=DO Ecuador=EC
Egypt=EG El_Salvador=SV Equatorial_Guinea=GQ Eritrea=ER Estonia=EE Eswatini=SZ Swaziland=SZ
Ethiopia=ET Fiji=FJ Finland=FI France=FR Gabon=GA Gambia=GM The_Gambia=GM Georgia=GE
Germany=DE Ghana=GH Greece=GR Grenada=GD Guatemala=GT Guinea=GN Guinea_Bissau=GW Guyana=GY
Haiti=HT Honduras=HN Hungary=HU Iceland=IS India=IN Indonesia=ID Iran=IR Iraq=IQ Ireland=IE
Israel=IL Italy=IT Jamaica=JM Japan=JP Jordan=JO Kazakhstan=KZ Kenya=KE Kiribati=KI
Kosovo=XK Kuwait=KW Kyrgyzstan=KG Laos=LA Latvia=LV Lebanon=LB Lesotho=LS Liberia=LR
Libya=LY Liechtenstein=LI Lithuania=LT Luxembourg=LU Madagascar=MG Malawi=MW Malaysia=MY
Maldives=MV Mali=ML Malta=MT Marshall_Islands=MH Mauritania=MR Mauritius=MU Mexico=MX
Micronesia=FM Moldova=MD Monaco=MC Mongolia=MN Montenegro=ME Morocco=MA Mozambique=MZ
Myanmar=MM Burma=MM Namibia=NA Nauru=NR Nepal=NP Netherlands=NL New_Zealand=NZ Nicaragua=NI
Niger=NE Nigeria=NG North_Korea=KP North_Macedonia=MK Macedonia=MK Norway=NO Oman=OM
Pakistan=PK Palau=PW Palestine=PS Panama=PA Papua_New_Guinea=PG Paraguay=PY Peru=PE
Philippines=PH Poland=PL Portugal=PT Qatar=QA Romania=RO Russia=RU Russian_Federation=RU
Rwanda=RW Saint_Kitts_and_Nevis=KN Saint_Lucia=LC Saint_Vincent_and_the_Grenadines=VC
Samoa=WS San_Marino=SM Sao_Tome_and_Principe=ST Saudi_Arabia=SA Senegal=SN Serbia=RS
Seychelles=SC Sierra_Leone=SL Singapore=SG Slovakia=SK Slovenia=SI Solomon_Islands=SB
Somalia=SO South_Africa=ZA South_Korea=KR South_Sudan=SS SSudan=SS Spain=ES Sri_Lanka=LK
Sudan=SD Suriname=SR Sweden=SE Switzerland=CH Syria=SY Taiwan=TW Tajikistan=TJ Tanzania=TZ
Thailand=TH Timor_Leste=TL East_Timor=TL Togo=TG Tonga=TO Trinidad_and_Tobago=TT
Tunisia=TN Turkey=TR Turkiye=TR Turkmenistan=TM Tuvalu=TV Uganda=UG Ukraine=UA
United_Arab_Emirates=AE UAE=AE United_Kingdom=GB UK=GB United_States=US USA=US Uruguay=UY
Uzbekistan=UZ Vanuatu=VU Venezuela=VE Vietnam=VN Viet_Nam=VN Western_Sahara=EH Yemen=YE
Zambia=ZM Zimbabwe=ZW
"""


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.'’]+", "", name).lower()


COUNTRY_CODES: dict[str, str] = {
    _key(name): code for name, code in (item.split("=") for item in _TABLE.split())
}


def country_code(name: str, overrides: dict[str, str] | None = None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a country name as Flee scenarios write it.

    Args:
        name: The country name (e.g. `Burkina_Faso`, `DRC`, `Cote d'Ivoire`).
        overrides: Extra or replacing name→code pairs (names matched the same way).

    Returns:
        The two-letter code, or None for an unknown name.
    """
    if overrides:
        for other, code in overrides.items():
            if _key(other) == _key(name):
                return code
    if len(name) == 2 and name.isalpha() and name.isupper():
        return name
    return COUNTRY_CODES.get(_key(name))
