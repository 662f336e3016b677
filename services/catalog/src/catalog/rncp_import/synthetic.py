"""Synthetic France compétences RNCP open-data exports (XML flux v4.1) for importer benchmarks."""

from __future__ import annotations

import math
import random
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Final
from xml.sax.saxutils import escape

__all__ = ["SyntheticExportStats", "write_synthetic_export"]


@dataclass(frozen=True)
class SyntheticExportStats:
    """What a synthetic export holds; `bytes_written` is the size of the XML document itself."""

    fiches: int
    blocks: int
    partners: int
    bytes_written: int


# --------------------------------------------------------------------------------------------
# Shape of the export (FORMATS.md §1.3, §6). Every value below is invented.
# --------------------------------------------------------------------------------------------

_PROGRESS_EVERY: Final = 500
_HEAD: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    "<FICHES>\n    <VERSION_FLUX>4.1</VERSION_FLUX>\n"
)
_TAIL: Final = "</FICHES>\n"
_I2: Final = " " * 8
_I3: Final = " " * 12
_I4: Final = " " * 16
_I5: Final = " " * 20
_I6: Final = " " * 24

# Per year of registration, oldest first: (width of the RNCP number range, relative number of
# fiches). Old years are sparse (many old numbers never reached the open-data flux); the seven
# years since the 2019 reform are dense and hold the active fiches.
_ERAS: Final[tuple[tuple[int, int], ...]] = (
    *((1880, 760 + 30 * i) for i in range(17)),
    (1300, 1000),
    (1300, 1150),
    (1300, 1200),
    (1350, 1320),
    (1450, 1420),
    (1650, 1580),
    (1150, 1120),
)
_FIRST_NUMBER: Final = 1000
_DAYS_BEFORE_TODAY: Final = 20  # the newest fiche of a daily export is a few weeks old

# Lineage: renewals every 2-5 years, a few splits, a few links written on one side only and a few
# predecessors that predate the flux (their number is not in the file).
_P_RENEWED: Final = 0.56
_GAPS: Final = (2, 3, 4, 5)
_GAP_WEIGHTS: Final = (10, 35, 30, 25)
_P_SPLIT: Final = 0.03
_P_ONE_SIDED: Final = 0.05
_P_PREHISTORIC: Final = 0.04
_P_FIN_AT_RENEWAL: Final = 0.5

_ACTIVE_LEVEL_MIX: Final = ((3, 636), (4, 790), (5, 683), (6, 1349), (7, 2059), (8, 1))
_OLD_LEVEL_MIX: Final = ((3, 25), (4, 22), (5, 26), (6, 13), (7, 13), (8, 1))
_BLOC_COUNTS: Final = (2, 3, 4, 5, 6, 7, 8, 9, 10)
_BLOC_WEIGHTS: Final = (13, 20, 24, 15, 10, 7, 5, 3, 3)
_DUREES: Final = (1, 2, 3, 4, 5)
_DUREE_WEIGHTS: Final = (3, 7, 38, 4, 48)

_MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True, slots=True)
class _Domain:
    """A field of activity: the words its certifications are made of, and its codes."""

    key: str
    branch: str  # the professional branch that would certify its CQPs
    nouns: tuple[str, ...]
    jobs: tuple[str, ...]
    nsf: tuple[tuple[str, str], ...]
    formacodes: tuple[tuple[str, str], ...]
    romes: tuple[tuple[str, str], ...]
    sectors: tuple[str, ...]


# The vocabulary tables read better packed than one item per line.
# fmt: off
_DOMAINS: Final[tuple[_Domain, ...]] = (
    _Domain(
        "numerique", "DU NUMERIQUE, DE L'INGENIERIE ET DU CONSEIL",
        ("développement d’applications", "administration des réseaux",
         "cybersécurité", "exploitation des données", "infrastructures informatiques"),
        ("Développeur d’applications", "Administrateur d’infrastructures sécurisées",
         "Technicien support informatique", "Concepteur de solutions numériques",
         "Analyste en sécurité des systèmes", "Chef de projet digital"),
        (("326", "Informatique, traitement et transmission de données"),
         ("326n", "Analyse et conception de systèmes informatiques"),
         ("326t", "Programmation et intégration logicielle"),
         ("326r", "Assistance et maintenance informatique")),
        (("31025", "Développement logiciel"), ("31034", "Administration système"),
         ("31006", "Sécurité informatique"), ("24231", "Réseau télécommunication"),
         ("31052", "Science des données")),
        (("M1805", "Développement et conception de logiciels"),
         ("M1810", "Production et exploitation de systèmes"),
         ("M1801", "Administration de réseaux"),
         ("I1401", "Maintenance informatique"),
         ("M1806", "Conseil en systèmes d’information")),
        ("Entreprises de services du numérique", "Éditeurs de logiciels",
         "Directions des systèmes d’information de grands comptes",
         "Start-up et PME innovantes", "Administrations et collectivités"),
    ),
    _Domain(
        "gestion", "DES BUREAUX D'ETUDES ET DU CONSEIL",
        ("management des organisations", "pilotage de la performance",
         "conduite du changement", "gestion de projet", "stratégie d’entreprise"),
        ("Manager d’unité opérationnelle", "Responsable de centre de profit",
         "Chef de projet en organisation", "Directeur adjoint de structure",
         "Consultant en management", "Responsable du développement des affaires"),
        (("310", "Échanges et gestion, spécialités plurivalentes"),
         ("310m", "Gestion et pilotage des organisations"),
         ("310p", "Organisation et coordination des activités")),
        (("32054", "Gestion organisation"), ("32032", "Management opérationnel"),
         ("32047", "Conduite du changement"), ("32012", "Pilotage de projet")),
        (("M1302", "Direction de petite ou moyenne entreprise"),
         ("M1402", "Conseil en organisation"),
         ("M1301", "Direction de grande entreprise"),
         ("M1503", "Management de projet")),
        ("Entreprises de toutes tailles et de tous secteurs", "Cabinets de conseil",
         "Groupes internationaux", "Structures de l’économie sociale et solidaire"),
    ),
    _Domain(
        "commerce", "DU COMMERCE ET DE LA DISTRIBUTION",
        ("vente en magasin", "relation client", "négociation commerciale",
         "commerce international", "gestion d’un point de vente"),
        ("Vendeur conseil", "Manager de rayon", "Négociateur technico-commercial",
         "Responsable de point de vente", "Chargé de clientèle", "Attaché commercial"),
        (("312", "Commerce et vente"), ("312t", "Vente et distribution"),
         ("312m", "Gestion commerciale")),
        (("34566", "Vente conseil"), ("34554", "Relation client"),
         ("34502", "Négociation vente"), ("34076", "Commerce international"),
         ("34588", "Gestion magasin")),
        (("D1211", "Vente au détail"), ("D1502", "Management de rayon"),
         ("D1402", "Relation commerciale grands comptes"),
         ("D1301", "Direction de magasin"),
         ("D1407", "Relation technico-commerciale")),
        ("Grande distribution alimentaire et spécialisée",
         "Commerce de détail indépendant", "Commerce interentreprises",
         "Enseignes franchisées", "Plateformes de vente en ligne"),
    ),
    _Domain(
        "finance", "DES EXPERTS-COMPTABLES ET COMMISSAIRES AUX COMPTES",
        ("comptabilité", "contrôle de gestion", "gestion financière", "paie",
         "fiscalité des entreprises"),
        ("Comptable unique", "Contrôleur de gestion", "Gestionnaire de paie",
         "Assistant comptable et financier", "Responsable administratif et financier",
         "Trésorier d’entreprise"),
        (("314", "Comptabilité et gestion"), ("314m", "Contrôle de gestion"),
         ("314t", "Tenue de la comptabilité")),
        (("32663", "Comptabilité générale"), ("32688", "Contrôle gestion"),
         ("32654", "Finance entreprise"), ("32699", "Paie"), ("13254", "Fiscalité")),
        (("M1203", "Comptabilité"), ("M1204", "Contrôle de gestion"),
         ("M1205", "Direction administrative et financière"),
         ("M1207", "Trésorerie et financement")),
        ("Cabinets d’expertise comptable", "Services financiers d’entreprises",
         "Centres de services partagés", "Établissements publics"),
    ),
    _Domain(
        "rh", "DU TRAVAIL TEMPORAIRE",
        ("gestion des ressources humaines", "recrutement",
         "développement des compétences", "relations sociales",
         "administration du personnel"),
        ("Chargé de ressources humaines", "Responsable du recrutement",
         "Assistant ressources humaines", "Responsable formation",
         "Gestionnaire des carrières", "Chargé de mission emploi et compétences"),
        (("315", "Ressources humaines et gestion de l’emploi"),
         ("315p", "Organisation des ressources humaines"),
         ("315t", "Administration du personnel")),
        (("33054", "Gestion ressources humaines"), ("33076", "Recrutement"),
         ("33011", "Gestion compétences"), ("33042", "Relations sociales")),
        (("M1503", "Management des ressources humaines"),
         ("M1502", "Développement des ressources humaines"),
         ("M1501", "Assistanat en ressources humaines"),
         ("K1801", "Conseil en emploi")),
        ("Directions des ressources humaines", "Cabinets de recrutement",
         "Entreprises de travail temporaire", "Organismes paritaires"),
    ),
    _Domain(
        "communication", "DE LA PUBLICITE",
        ("communication digitale", "marketing & communication",
         "création de contenus", "relations presse", "marketing opérationnel"),
        ("Chargé de communication", "Responsable marketing", "Community manager",
         "Chef de produit", "Concepteur-rédacteur", "Chargé d’études marketing"),
        (("320", "Communication, spécialités plurivalentes"),
         ("320t", "Communication et information"),
         ("312p", "Marketing et études de marché")),
        (("46305", "Communication digitale"), ("34052", "Marketing"),
         ("46324", "Rédaction web"), ("46352", "Relations publiques")),
        (("E1103", "Communication"), ("M1705", "Marketing"),
         ("E1101", "Animation de site multimédia"), ("M1707", "Stratégie marketing")),
        ("Agences de communication et de publicité",
         "Services communication d’entreprises", "Médias et éditeurs de presse",
         "Collectivités territoriales", "Associations et fondations"),
    ),
    _Domain(
        "logistique", "DES TRANSPORTS ROUTIERS ET ACTIVITES AUXILIAIRES",
        ("logistique d’entrepôt", "transport routier de marchandises",
         "gestion des flux", "supply chain", "préparation de commandes"),
        ("Préparateur de commandes", "Agent magasinier",
         "Responsable d’exploitation logistique",
         "Technicien en logistique d’entreposage",
         "Conducteur routier de marchandises", "Responsable supply chain"),
        (("311", "Transport, manutention, magasinage"),
         ("311m", "Gestion des flux logistiques"),
         ("311u", "Conduite d’engins et de véhicules")),
        (("31801", "Logistique"), ("31811", "Magasinage"),
         ("31854", "Transport routier"), ("31813", "Préparation commande")),
        (("N1103", "Magasinage et préparation de commandes"),
         ("N1301", "Organisation de la chaîne logistique"),
         ("N4101", "Conduite de transport de marchandises"),
         ("N1303", "Exploitation logistique")),
        ("Prestataires logistiques", "Entrepôts de la grande distribution",
         "Transport routier de marchandises", "Plateformes du commerce en ligne",
         "Industrie"),
    ),
    _Domain(
        "batiment", "DU BATIMENT ET DES TRAVAUX PUBLICS",
        ("gros œuvre", "construction de maisons individuelles", "travaux publics",
         "conduite de chantier", "études de prix"),
        ("Maçon", "Chef de chantier gros œuvre", "Conducteur de travaux",
         "Coffreur bancheur", "Technicien d’études du bâtiment", "Canalisateur"),
        (("230", "Génie civil, construction, bois"),
         ("232", "Construction et couverture"), ("231", "Génie civil et topographie")),
        (("22403", "Maçonnerie"), ("22435", "Conduite travaux"),
         ("22410", "Gros oeuvre"), ("22467", "Travaux publics")),
        (("F1703", "Maçonnerie"), ("F1205", "Encadrement de chantier"),
         ("F1106", "Économie de la construction"),
         ("F1701", "Coffrage et ferraillage"), ("F1705", "Pose de canalisations")),
        ("Entreprises artisanales du bâtiment", "Grands groupes du BTP",
         "Entreprises de travaux publics", "Bureaux d’études techniques",
         "Bailleurs sociaux"),
    ),
    _Domain(
        "finitions", "DU BATIMENT ET DES TRAVAUX PUBLICS",
        ("peinture et revêtements", "plâtrerie et isolation", "menuiserie intérieure",
         "aménagement intérieur", "rénovation énergétique"),
        ("Peintre en bâtiment", "Plaquiste", "Menuisier agenceur",
         "Carreleur mosaïste", "Chargé d’affaires en rénovation",
         "Solier moquettiste"),
        (("233", "Finitions du bâtiment"), ("234", "Bois et ameublement"),
         ("233s", "Réalisation des finitions")),
        (("22639", "Peinture bâtiment"), ("22626", "Plâtrerie"),
         ("22818", "Agencement"), ("22677", "Rénovation énergétique")),
        (("F1606", "Peinture en bâtiment"), ("F1604", "Pose de plaques de plâtre"),
         ("H2206", "Menuiserie et agencement"), ("F1608", "Pose de revêtements")),
        ("Entreprises artisanales du second œuvre", "Agenceurs et installateurs",
         "Entreprises de rénovation", "Bailleurs et gestionnaires de patrimoine"),
    ),
    _Domain(
        "maintenance", "DE LA METALLURGIE",
        ("maintenance industrielle", "maintenance des systèmes de production",
         "automatismes", "fiabilité des équipements", "intervention technique"),
        ("Technicien de maintenance industrielle", "Électromécanicien",
         "Responsable maintenance", "Agent de maintenance des bâtiments",
         "Automaticien", "Technicien en fiabilité"),
        (("250", "Mécanique-électricité, spécialités pluritechnologiques"),
         ("250r", "Maintenance et dépannage de systèmes"),
         ("201", "Commande des transformations industrielles")),
        (("31408", "Maintenance industrielle"), ("31443", "Automatisme"),
         ("31415", "Électromécanique"), ("31427", "Maintenance préventive")),
        (("I1304", "Maintenance d’installations industrielles"),
         ("I1310", "Maintenance mécanique"),
         ("H1208", "Intervention en automatismes"),
         ("I1102", "Management de la maintenance")),
        ("Industries manufacturières", "Agroalimentaire", "Énergie et utilités",
         "Sociétés de maintenance multitechnique"),
    ),
    _Domain(
        "electricite", "DE LA METALLURGIE",
        ("installations électriques", "réseaux d’énergie", "domotique",
         "électronique", "bornes de recharge"),
        ("Électricien d’équipement", "Technicien en électronique",
         "Installateur en domotique", "Chargé d’études en électricité",
         "Monteur de réseaux électriques"),
        (("255", "Électricité, électronique"),
         ("255r", "Installation et dépannage électrique"),
         ("255n", "Conception électrique et électronique")),
        (("24054", "Électricité bâtiment"), ("24012", "Électronique"),
         ("24076", "Domotique"), ("24047", "Réseau électrique")),
        (("F1602", "Électricité du bâtiment"),
         ("H1209", "Intervention en électronique"),
         ("I1307", "Installation domotique"), ("F1605", "Montage de réseaux")),
        ("Entreprises d’installation électrique", "Gestionnaires de réseaux",
         "Industrie électronique", "Artisans électriciens"),
    ),
    _Domain(
        "metallurgie", "DE LA METALLURGIE",
        ("usinage", "chaudronnerie", "soudage", "fabrication mécanique",
         "conduite de lignes de production"),
        ("Opérateur régleur sur machine-outil", "Chaudronnier", "Soudeur",
         "Technicien d’usinage", "Conducteur d’équipements industriels",
         "Technicien méthodes"),
        (("251", "Mécanique de précision, usinage"),
         ("254", "Structures métalliques"), ("251r", "Usinage et réglage")),
        (("23054", "Usinage"), ("23684", "Soudage"), ("23651", "Chaudronnerie"),
         ("23076", "Fabrication mécanique")),
        (("H2903", "Conduite d’équipement d’usinage"),
         ("H2902", "Chaudronnerie et tôlerie"), ("H2913", "Soudage"),
         ("H1404", "Méthodes industrielles")),
        ("Industrie métallurgique", "Aéronautique et spatial",
         "Construction ferroviaire", "Sous-traitance mécanique"),
    ),
    _Domain(
        "automobile", "DES SERVICES DE L'AUTOMOBILE",
        ("maintenance des véhicules", "carrosserie", "diagnostic automobile",
         "véhicules électriques", "réparation des engins"),
        ("Mécanicien automobile", "Carrossier peintre",
         "Technicien expert après-vente", "Réceptionnaire après-vente",
         "Mécanicien d’engins de chantier"),
        (("252", "Moteurs et mécanique automobile"),
         ("252r", "Entretien des véhicules"), ("254s", "Carrosserie")),
        (("23254", "Mécanique automobile"), ("23239", "Carrosserie"),
         ("23276", "Diagnostic véhicule"), ("23288", "Véhicule électrique")),
        (("I1604", "Mécanique automobile"), ("I1606", "Carrosserie et peinture"),
         ("I1603", "Maintenance d’engins"),
         ("I1607", "Réparation de cycles et motocycles")),
        ("Garages et concessions", "Centres auto", "Loueurs de véhicules",
         "Flottes d’entreprises"),
    ),
    _Domain(
        "restauration", "DES HOTELS, CAFES, RESTAURANTS",
        ("cuisine", "service en salle", "hébergement touristique",
         "restauration collective", "réception hôtelière"),
        ("Cuisinier", "Commis de cuisine", "Serveur en restauration",
         "Réceptionniste en hôtellerie", "Gouvernant d’hôtel",
         "Manager en restauration"),
        (("334", "Accueil, hôtellerie, tourisme"), ("221c", "Cuisine"),
         ("334t", "Service en restauration et hébergement")),
        (("42752", "Cuisine"), ("42788", "Service restauration"),
         ("42712", "Hôtellerie"), ("42754", "Restauration collective")),
        (("G1602", "Personnel de cuisine"), ("G1803", "Service en restauration"),
         ("G1703", "Réception en hôtellerie"), ("G1401", "Encadrement en hôtellerie")),
        ("Restauration traditionnelle", "Hôtellerie", "Restauration collective",
         "Villages de vacances"),
    ),
    _Domain(
        "alimentaire", "DE LA BOULANGERIE-PATISSERIE",
        ("boulangerie", "pâtisserie", "boucherie", "production agroalimentaire",
         "transformation des produits de la mer"),
        ("Boulanger", "Pâtissier", "Boucher", "Conducteur de ligne agroalimentaire",
         "Poissonnier écailler", "Chocolatier confiseur"),
        (("221m", "Transformation des produits alimentaires"),
         ("221s", "Fabrication artisanale alimentaire"),
         ("220", "Transformations, spécialités pluritechnologiques")),
        (("21546", "Boulangerie"), ("21528", "Pâtisserie"), ("21503", "Boucherie"),
         ("21054", "Industrie agroalimentaire")),
        (("D1102", "Boulangerie et viennoiserie"),
         ("D1104", "Pâtisserie et confiserie"), ("D1101", "Boucherie"),
         ("H2102", "Conduite de production alimentaire")),
        ("Artisanat alimentaire", "Industrie agroalimentaire",
         "Grandes et moyennes surfaces", "Traiteurs"),
    ),
    _Domain(
        "sante", "DE L'HOSPITALISATION PRIVEE",
        ("soins infirmiers", "aide-soignance", "préparation en pharmacie",
         "imagerie médicale", "rééducation"),
        ("Aide-soignant", "Infirmier", "Préparateur en pharmacie",
         "Manipulateur en imagerie médicale", "Assistant dentaire", "Ambulancier"),
        (("331", "Santé"), ("331t", "Soins et techniques paramédicales"),
         ("331m", "Organisation des soins")),
        (("43448", "Soins infirmiers"), ("43436", "Aide-soignant"),
         ("43012", "Préparation pharmacie"), ("43456", "Imagerie médicale")),
        (("J1501", "Soins d’hygiène et de confort"), ("J1506", "Soins infirmiers"),
         ("J1307", "Préparation en pharmacie"), ("J1306", "Imagerie médicale")),
        ("Établissements de santé publics et privés", "EHPAD", "Officines",
         "Cabinets libéraux", "Services de soins à domicile"),
    ),
    _Domain(
        "social", "DU SECTEUR SANITAIRE, SOCIAL ET MEDICO-SOCIAL",
        ("intervention sociale", "éducation spécialisée", "médiation",
         "insertion professionnelle", "protection de l’enfance"),
        ("Éducateur spécialisé", "Moniteur éducateur",
         "Conseiller en insertion professionnelle", "Médiateur social",
         "Assistant de service social", "Encadrant technique d’insertion"),
        (("332", "Travail social"), ("332t", "Accompagnement social et éducatif"),
         ("332m", "Coordination de l’intervention sociale")),
        (("44028", "Travail social"), ("44054", "Éducation spécialisée"),
         ("44092", "Insertion professionnelle"), ("44067", "Médiation sociale")),
        (("K1207", "Intervention socioéducative"), ("K1801", "Conseil en insertion"),
         ("K1204", "Médiation sociale"), ("K1201", "Action sociale")),
        ("Associations du secteur social et médico-social",
         "Collectivités territoriales",
         "Structures d’insertion par l’activité économique",
         "Foyers et centres d’hébergement"),
    ),
    _Domain(
        "personne", "DES SERVICES A LA PERSONNE",
        ("aide à domicile", "accompagnement des personnes âgées", "petite enfance",
         "services à la personne", "entretien du cadre de vie"),
        ("Assistant de vie aux familles", "Auxiliaire de vie sociale",
         "Agent d’accompagnement auprès d’enfants",
         "Responsable de secteur en aide à domicile",
         "Accompagnant éducatif petite enfance"),
        (("330", "Sanitaire et social, spécialités plurivalentes"),
         ("330t", "Aide et accompagnement à domicile"),
         ("332s", "Accueil de la petite enfance")),
        (("44083", "Aide à domicile"), ("44041", "Petite enfance"),
         ("44074", "Gérontologie"), ("44012", "Services à la personne")),
        (("K1302", "Assistance auprès d’adultes"),
         ("K1303", "Assistance auprès d’enfants"), ("K1304", "Services domestiques"),
         ("K1305", "Intervention sociale et familiale")),
        ("Services d’aide et d’accompagnement à domicile", "Crèches et micro-crèches",
         "Particuliers employeurs", "Résidences autonomie"),
    ),
    _Domain(
        "sport", "DU SPORT",
        ("animation sportive", "éducation populaire", "activités aquatiques",
         "activités physiques pour tous", "loisirs tous publics"),
        ("Éducateur sportif", "Animateur socioculturel", "Maître-nageur sauveteur",
         "Coordinateur de projets d’animation",
         "Directeur d’accueil collectif de mineurs", "Moniteur d’escalade"),
        (("335", "Animation culturelle, sportive et de loisirs"),
         ("335t", "Encadrement des activités sportives"),
         ("335m", "Coordination de projets d’animation")),
        (("15436", "Animation sportive"), ("15454", "Éducation populaire"),
         ("15412", "Natation"), ("15467", "Loisirs")),
        (("G1204", "Éducation en activités sportives"),
         ("K1206", "Intervention socioculturelle"), ("G1203", "Animation de loisirs"),
         ("G1202", "Animation d’activités culturelles")),
        ("Clubs et associations sportives", "Collectivités territoriales",
         "Centres de loisirs", "Structures d’hébergement touristique"),
    ),
    _Domain(
        "agriculture", "DE LA PRODUCTION AGRICOLE",
        ("production agricole", "aménagements paysagers", "viticulture", "maraîchage",
         "conduite d’une exploitation"),
        ("Responsable d’exploitation agricole", "Ouvrier du paysage",
         "Technicien vitivinicole", "Maraîcher", "Conseiller agricole",
         "Arboriculteur"),
        (("210", "Agronomie et agriculture, spécialités plurivalentes"),
         ("211", "Productions végétales"), ("214", "Aménagement paysager")),
        (("21046", "Agriculture"), ("21321", "Viticulture"), ("21376", "Maraîchage"),
         ("21654", "Paysage")),
        (("A1414", "Horticulture et maraîchage"),
         ("A1203", "Entretien des espaces verts"),
         ("A1405", "Arboriculture et viticulture"),
         ("A1301", "Conseil en agriculture")),
        ("Exploitations agricoles", "Entreprises du paysage", "Coopératives",
         "Domaines viticoles"),
    ),
    _Domain(
        "animaux", "DES ENTREPRISES DU SECTEUR ANIMALIER",
        ("soins aux animaux", "élevage canin et félin", "toilettage", "équitation",
         "santé animale"),
        ("Auxiliaire de soins animaliers", "Toiletteur canin", "Palefrenier soigneur",
         "Éleveur", "Soigneur animalier", "Enseignant d’équitation"),
        (("212", "Productions animales, élevage"), ("212t", "Soins aux animaux"),
         ("212s", "Élevage spécialisé")),
        (("21634", "Soins animaux"), ("21612", "Élevage"), ("21677", "Toilettage"),
         ("21688", "Équitation")),
        (("A1501", "Aide aux soins animaux"), ("A1503", "Toilettage des animaux"),
         ("A1407", "Élevage"), ("A1502", "Podologie animale")),
        ("Cliniques vétérinaires", "Animaleries", "Centres équestres",
         "Parcs zoologiques"),
    ),
    _Domain(
        "environnement", "DES ACTIVITES DU DECHET",
        ("gestion des déchets", "traitement de l’eau", "efficacité énergétique",
         "énergies renouvelables", "qualité, hygiène & sécurité environnement"),
        ("Technicien en traitement des eaux", "Chargé de mission environnement",
         "Technicien des énergies renouvelables",
         "Animateur qualité sécurité environnement",
         "Conseiller en efficacité énergétique"),
        (("343", "Assainissement et protection de l’environnement"),
         ("227", "Énergie"), ("343t", "Traitement des déchets et de l’eau")),
        (("12554", "Environnement"), ("12534", "Traitement eau"),
         ("12576", "Gestion déchets"), ("22618", "Énergie renouvelable")),
        (("K2306", "Exploitation éco-industrielle"), ("H1302", "Ingénierie HSE"),
         ("F1613", "Installation d’équipements énergétiques"),
         ("K2301", "Distribution d’eau")),
        ("Collectivités et syndicats intercommunaux",
         "Opérateurs de l’eau et des déchets", "Bureaux d’études environnement",
         "Industrie"),
    ),
    _Domain(
        "arts", "DES METIERS D'ART",
        ("design graphique", "métiers d’art", "architecture intérieure",
         "photographie", "arts plastiques"),
        ("Designer graphique", "Ébéniste d’art", "Architecte d’intérieur",
         "Photographe", "Illustrateur", "Céramiste"),
        (("131", "Arts plastiques"), ("134", "Spécialités artistiques plurivalentes"),
         ("322", "Imprimerie et édition")),
        (("45054", "Design graphique"), ("45076", "Métiers d’art"),
         ("45012", "Architecture intérieure"), ("46254", "Photographie")),
        (("E1205", "Réalisation de contenus multimédias"),
         ("B1802", "Réalisation en bois"),
         ("F1102", "Conception d’aménagements intérieurs"), ("E1201", "Photographie")),
        ("Ateliers d’art", "Agences de design", "Studios de création", "Indépendants"),
    ),
    _Domain(
        "spectacle", "DU SPECTACLE VIVANT",
        ("spectacle vivant", "production audiovisuelle", "techniques du son",
         "régie lumière", "jeu d’acteur"),
        ("Régisseur de spectacle", "Technicien du son", "Monteur audiovisuel",
         "Comédien", "Danseur interprète", "Chargé de production"),
        (("133", "Musique et arts du spectacle"), ("323", "Image et son"),
         ("133t", "Interprétation et création scénique")),
        (("45212", "Spectacle vivant"), ("46234", "Audiovisuel"), ("46212", "Son"),
         ("45276", "Théâtre")),
        (("L1509", "Régie générale"), ("L1507", "Mise en lumière"),
         ("L1505", "Image cinématographique"), ("L1203", "Art dramatique")),
        ("Compagnies et lieux de diffusion", "Sociétés de production", "Festivals",
         "Chaînes et plateformes"),
    ),
    _Domain(
        "beaute", "DE LA COIFFURE",
        ("coiffure", "esthétique", "soins du corps", "parfumerie", "onglerie"),
        ("Coiffeur", "Esthéticien cosméticien", "Manager de salon de coiffure",
         "Conseiller en parfumerie", "Prothésiste ongulaire", "Barbier"),
        (("336", "Coiffure, esthétique, services aux personnes"),
         ("336t", "Soins esthétiques"), ("336s", "Coiffure")),
        (("42054", "Coiffure"), ("42076", "Esthétique"), ("42012", "Soin corporel"),
         ("42088", "Onglerie")),
        (("D1202", "Coiffure"), ("D1208", "Soins esthétiques"),
         ("D1212", "Vente en parfumerie")),
        ("Salons de coiffure", "Instituts de beauté", "Spas et centres de bien-être",
         "Parfumeries"),
    ),
    _Domain(
        "securite", "DES ENTREPRISES DE PREVENTION ET DE SECURITE",
        ("sécurité privée", "prévention & sûreté", "sécurité incendie",
         "protection des personnes", "sûreté des sites"),
        ("Agent de prévention et de sécurité", "Agent de sécurité incendie",
         "Chef d’équipe de sûreté", "Opérateur de télésurveillance",
         "Responsable sûreté"),
        (("344", "Sécurité des biens et des personnes"),
         ("344t", "Surveillance et gardiennage"),
         ("344r", "Prévention des risques incendie")),
        (("42854", "Sécurité privée"), ("42876", "Sécurité incendie"),
         ("42812", "Sûreté"), ("42833", "Télésurveillance")),
        (("K2503", "Sécurité et surveillance privées"), ("K1705", "Sécurité civile"),
         ("K2502", "Management de sécurité privée")),
        ("Entreprises de sécurité privée", "Établissements recevant du public",
         "Sites industriels", "Transports"),
    ),
    _Domain(
        "immobilier", "DE L'IMMOBILIER",
        ("transaction immobilière", "gestion locative", "banque de détail",
         "assurance", "conseil patrimonial"),
        ("Négociateur immobilier", "Gestionnaire locatif", "Conseiller bancaire",
         "Chargé de clientèle en assurance", "Conseiller en gestion de patrimoine",
         "Gestionnaire de copropriété"),
        (("313", "Banque, assurance et immobilier"),
         ("313t", "Transactions et gestion immobilières"),
         ("313m", "Conseil bancaire")),
        (("34322", "Immobilier"), ("34354", "Gestion locative"), ("34412", "Banque"),
         ("34476", "Assurance")),
        (("C1504", "Transaction immobilière"), ("C1501", "Gérance immobilière"),
         ("C1206", "Conseil clientèle en banque"),
         ("C1102", "Conseil clientèle en assurances")),
        ("Agences immobilières", "Réseaux bancaires",
         "Compagnies et courtiers d’assurance", "Administrateurs de biens"),
    ),
    _Domain(
        "formation", "DES ORGANISMES DE FORMATION",
        ("ingénierie de formation", "formation professionnelle d’adultes",
         "accompagnement des apprentissages", "pédagogie numérique",
         "orientation professionnelle"),
        ("Formateur professionnel d’adultes",
         "Responsable de dispositifs de formation",
         "Conseiller en évolution professionnelle", "Concepteur pédagogique",
         "Coordinateur pédagogique"),
        (("333", "Enseignement et formation"), ("333t", "Animation de formation"),
         ("333m", "Ingénierie de formation")),
        (("44586", "Formation formateur"), ("44512", "Ingénierie formation"),
         ("44554", "Pédagogie"), ("44532", "Orientation professionnelle")),
        (("K2111", "Formation professionnelle"),
         ("K2102", "Coordination pédagogique"),
         ("K2112", "Orientation professionnelle")),
        ("Organismes de formation", "Centres de formation d’apprentis",
         "Services formation d’entreprises", "Opérateurs de compétences"),
    ),
    _Domain(
        "juridique", "DES CABINETS D'AVOCATS",
        ("droit des affaires", "gestion juridique", "conformité réglementaire",
         "assistance juridique", "droit social"),
        ("Juriste d’entreprise", "Assistant juridique",
         "Responsable de la conformité", "Clerc", "Chargé de contentieux"),
        (("128", "Droit et sciences politiques"), ("128g", "Gestion juridique"),
         ("128t", "Assistance juridique")),
        (("13234", "Droit des affaires"), ("13212", "Droit social"),
         ("13276", "Conformité"), ("13288", "Contentieux")),
        (("K1903", "Conseil juridique"), ("M1604", "Assistanat juridique"),
         ("K1902", "Collaboration juridique")),
        ("Cabinets d’avocats", "Études notariales", "Directions juridiques",
         "Administrations"),
    ),
    _Domain(
        "chimie", "DES INDUSTRIES CHIMIQUES",
        ("analyses de laboratoire", "chimie industrielle", "biotechnologies",
         "contrôle qualité", "formulation cosmétique"),
        ("Technicien de laboratoire", "Technicien chimiste",
         "Responsable contrôle qualité", "Technicien en biotechnologies",
         "Formulateur", "Opérateur de production pharmaceutique"),
        (("222", "Transformations chimiques"),
         ("222n", "Analyses et contrôles chimiques"), ("118", "Sciences de la vie")),
        (("11854", "Chimie"), ("11876", "Biotechnologie"),
         ("11812", "Analyse laboratoire"), ("31688", "Contrôle qualité")),
        (("H1503", "Laboratoire d’analyse"), ("H1502", "Qualité industrielle"),
         ("H2301", "Production chimique"), ("H1210", "Études et développement")),
        ("Industrie chimique et pharmaceutique", "Laboratoires d’analyses",
         "Cosmétique", "Recherche publique"),
    ),
)
_CRAFT_DOMAINS: Final = (
    "batiment", "finitions", "maintenance", "electricite", "metallurgie", "automobile",
    "restauration", "alimentaire", "personne", "beaute", "securite", "commerce",
    "logistique", "agriculture", "animaux", "sante",
)
_AGRI_DOMAINS: Final = ("agriculture", "animaux", "alimentaire", "environnement")
_ART_DOMAINS: Final = ("arts", "spectacle")
_ENGINEER_DOMAINS: Final = (
    "numerique", "maintenance", "electricite", "metallurgie", "batiment",
    "environnement", "chimie", "agriculture", "logistique",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class _Abrege:
    """A type of certification (`ABREGE/CODE`) and how its fiches are registered and certified."""

    code: str  # "" = no ABREGE element
    label: str
    levels: tuple[int, ...]
    weight: int
    p_sur_demande: float
    domains: tuple[str, ...]  # () = any domain
    certifier: str  # key in _MINISTRIES, or "school", "university", "branch", "private"


# Weights follow the ABREGE/CODE mix of FORMATS.md §6, with enough fiches without ABREGE to
# reach the ~47 % of the whole flux, plus CQP and DUT which are common among old fiches.
# fmt: off
_ABREGES: Final[tuple[_Abrege, ...]] = (
    _Abrege("", "", (3, 4, 5, 6, 7, 8), 3100, 0.9, (), "private"),
    _Abrege(
        "Titre ingénieur", "Titre d’ingénieur",
        (7,), 600, 0.0, _ENGINEER_DOMAINS, "school",
    ),
    _Abrege("MASTER", "Master", (7,), 296, 0.0, (), "university"),
    _Abrege("TP", "Titre professionnel", (3, 4, 5, 6), 265, 0.0, (), "travail"),
    _Abrege("Autre", "Autre", (3, 4, 5, 6, 7), 234, 0.6, (), "private"),
    _Abrege(
        "Licence Professionnelle", "Licence professionnelle",
        (6,), 171, 0.0, (), "university",
    ),
    _Abrege(
        "BUT", "Bachelor universitaire de technologie",
        (6,), 170, 0.0, (), "university",
    ),
    _Abrege(
        "CAP", "Certificat d’aptitude professionnelle",
        (3,), 143, 0.0, _CRAFT_DOMAINS, "education",
    ),
    _Abrege(
        "BAC PRO", "Baccalauréat professionnel",
        (4,), 104, 0.0, _CRAFT_DOMAINS, "education",
    ),
    _Abrege(
        "CS", "Certificat de spécialisation",
        (4, 5), 101, 0.0, _AGRI_DOMAINS, "agriculture",
    ),
    _Abrege("DIPLOVIS", "Diplôme visé", (6, 7), 95, 0.0, (), "school"),
    _Abrege("BTS", "Brevet de technicien supérieur", (5,), 92, 0.0, (), "superieur"),
    _Abrege(
        "DipViGrM", "Diplôme visé conférant le grade de master",
        (7,), 91, 0.0, (), "school",
    ),
    _Abrege("LICENCE", "Licence", (6,), 75, 0.0, (), "university"),
    _Abrege(
        "Grade_Licence", "Diplôme conférant le grade de licence",
        (6,), 67, 0.0, (), "school",
    ),
    _Abrege(
        "Grade_Master", "Diplôme conférant le grade de master",
        (7,), 64, 0.0, (), "school",
    ),
    _Abrege(
        "DEJEPS", "Diplôme d’État de la jeunesse, de l’éducation populaire et du sport",
        (5,), 56, 0.0, ("sport",), "sports",
    ),
    _Abrege(
        "DE", "Diplôme d’État",
        (3, 4, 5, 6, 7), 52, 0.0, ("sante", "social", "personne"), "sante",
    ),
    _Abrege(
        "BPJEPS",
        "Brevet professionnel de la jeunesse, de l’éducation populaire et du sport",
        (4,), 50, 0.0, ("sport",), "sports",
    ),
    _Abrege("BP", "Brevet professionnel", (4,), 47, 0.0, _CRAFT_DOMAINS, "education"),
    _Abrege(
        "DipViGrL", "Diplôme visé conférant le grade de licence",
        (6,), 43, 0.0, (), "school",
    ),
    _Abrege(
        "DEUST", "Diplôme d’études universitaires scientifiques et techniques",
        (5,), 42, 0.0, (), "university",
    ),
    _Abrege(
        "DESJEPS",
        "Diplôme d’État supérieur de la jeunesse, de l’éducation populaire et du sport",
        (6,), 42, 0.0, ("sport",), "sports",
    ),
    _Abrege(
        "DUT", "Diplôme universitaire de technologie",
        (5,), 40, 0.0, (), "university",
    ),
    _Abrege(
        "CQP", "Certificat de qualification professionnelle",
        (3, 4, 5), 60, 1.0, _CRAFT_DOMAINS, "branch",
    ),
    _Abrege(
        "DSP", "Diplôme supérieur professionnel",
        (6,), 27, 0.0, _ART_DOMAINS, "culture",
    ),
    _Abrege("BMA", "Brevet des métiers d’art", (4,), 17, 0.0, ("arts",), "education"),
    _Abrege(
        "BTSA", "Brevet de technicien supérieur agricole",
        (5,), 15, 0.0, _AGRI_DOMAINS, "agriculture",
    ),
    _Abrege(
        "DNMADE", "Diplôme national des métiers d’art et du design",
        (6,), 14, 0.0, ("arts",), "superieur",
    ),
    _Abrege(
        "CAPA", "Certificat d’aptitude professionnelle agricole",
        (3,), 9, 0.0, _AGRI_DOMAINS, "agriculture",
    ),
    _Abrege(
        "DNSP", "Diplôme national supérieur professionnel",
        (6,), 7, 0.0, _ART_DOMAINS, "culture",
    ),
    _Abrege(
        "BPA", "Brevet professionnel agricole",
        (3,), 6, 0.0, _AGRI_DOMAINS, "agriculture",
    ),
    _Abrege("BA", "Brevet d’aptitude", (4,), 6, 0.0, ("sport", "arts"), "culture"),
    _Abrege("CA", "Certificat d’aptitude", (6,), 3, 0.0, _ART_DOMAINS, "culture"),
    _Abrege(
        "BTSMarit", "Brevet de technicien supérieur maritime",
        (5,), 2, 0.0, ("logistique", "maintenance"), "mer",
    ),
    _Abrege(
        "DEEA", "Diplôme d’études en architecture",
        (6,), 1, 0.0, ("arts",), "culture",
    ),
    _Abrege(
        "CAPD", "Certificat d’aptitude professionnelle (dispositif spécifique)",
        (3,), 1, 0.0, _CRAFT_DOMAINS, "education",
    ),
    _Abrege("DNA", "Diplôme national d’art", (6,), 1, 0.0, ("arts",), "culture"),
    _Abrege("DOCTORAT", "Doctorat", (8,), 1, 0.0, (), "university"),
    _Abrege(
        "CPJEPS",
        "Certificat professionnel de la jeunesse, de l’éducation populaire et du sport",
        (3,), 1, 0.0, ("sport",), "sports",
    ),
    _Abrege(
        "DNSEP", "Diplôme national supérieur d’expression plastique",
        (7,), 1, 0.0, ("arts",), "culture",
    ),
)
_SCHOOL_YEAR_CODES: Final = frozenset({
    "CAP", "BAC PRO", "BP", "BTS", "BTSA", "CAPA", "BPA", "BMA", "CS", "LICENCE", "MASTER",
    "Licence Professionnelle", "BUT", "DUT", "DEUST", "DNMADE", "DOCTORAT", "CAPD",
})
_SHORT_BLOCS: Final = (
    "Relation client", "Gestion de projet", "Communication professionnelle",
    "Management d’équipe", "Qualité et sécurité", "Veille et innovation",
    "Gestion administrative", "Encadrement", "Développement commercial",
)
_SHORT_TITLE_ENDS: Final = (
    "et services associés", "– option production", "– option commercialisation",
    "en entreprise artisanale",
)
_GENERAL_BLOCS: Final = (
    "Français", "Langue vivante", "Mathématiques", "Prévention-santé-environnement",
    "Économie-droit", "Culture générale et expression", "Anglais professionnel",
    "Arts appliqués et cultures artistiques",
    "Histoire-géographie et enseignement moral",
)
# fmt: on


def _luhn_complete(digits: str) -> str:
    """Appends the Luhn check digit that SIREN and SIRET numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended on the right
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return digits + str(-total % 10)


# The first four SIRETs are the public ones FORMATS.md §1.5 lists; the others are made up.
_MINISTRIES: Final[dict[str, tuple[str, str]]] = {
    "travail": (
        "11000007200014",
        "MINISTERE DU TRAVAIL DU PLEIN EMPLOI ET DE L' INSERTION",
    ),
    "education": (
        "11004301500012",
        "MINISTERE DE L'EDUCATION NATIONALE ET DE LA JEUNESSE",
    ),
    "superieur": (
        "11004401300040",
        "MINISTERE DE L'ENSEIGNEMENT SUPERIEUR ET DE LA RECHERCHE",
    ),
    "interieur": ("11001401600015", "MINISTERE DE L' INTERIEUR ET DES OUTRE-MER"),
    "agriculture": (
        _luhn_complete(_luhn_complete("11002301") + "0001"),
        "MINISTERE DE L'AGRICULTURE ET DE LA SOUVERAINETE ALIMENTAIRE",
    ),
    "sports": (
        _luhn_complete(_luhn_complete("11003501") + "0002"),
        "MINISTERE DES SPORTS ET DES JEUX OLYMPIQUES ET PARALYMPIQUES",
    ),
    "culture": (
        _luhn_complete(_luhn_complete("11005201") + "0004"),
        "MINISTERE DE LA CULTURE",
    ),
    "sante": (
        _luhn_complete(_luhn_complete("11006101") + "0003"),
        "MINISTERE DU TRAVAIL DE LA SANTE ET DES SOLIDARITES",
    ),
    "mer": (
        _luhn_complete(_luhn_complete("11007801") + "0001"),
        "MINISTERE DE LA TRANSITION ECOLOGIQUE ET DE LA COHESION DES TERRITOIRES",
    ),
    "armees": (
        _luhn_complete(_luhn_complete("11009101") + "0005"),
        "MINISTERE DES ARMEES",
    ),
}
_UIMM: Final = "UIMM - UNION DES INDUSTRIES ET METIERS DE LA METALLURGIE"

# fmt: off
_CITIES: Final = (
    "ANGERS", "BREST", "DIJON", "LIMOGES", "POITIERS", "ROUEN", "METZ", "NANCY", "CAEN",
    "TOURS", "ORLEANS", "AMIENS", "BESANCON", "CLERMONT-FERRAND", "PAU", "BAYONNE",
    "NIORT", "VALENCE", "ANNECY", "CHAMBERY", "COLMAR", "TROYES", "REIMS", "LORIENT",
    "QUIMPER", "VANNES", "LE MANS", "CHARTRES", "BOURGES", "NEVERS", "AUXERRE",
    "BELFORT", "EPINAL", "CALAIS", "BEAUVAIS", "EVREUX", "CHERBOURG", "SAINT-BRIEUC",
    "LA ROCHELLE", "ANGOULEME", "PERIGUEUX", "AGEN", "TARBES", "RODEZ", "ALBI", "NIMES",
    "AVIGNON", "GAP", "TOULON", "BASTIA", "AJACCIO", "CAYENNE", "MULHOUSE",
    "SAINT-ETIENNE", "ROANNE", "VICHY", "MACON", "VALENCIENNES", "DUNKERQUE", "BLOIS",
    "CHATEAUROUX", "CARCASSONNE", "PERPIGNAN", "SAINT-NAZAIRE", "CHOLET",
)
_SAINTS: Final = (
    "SAINT-JOSEPH", "SAINTE-MARIE", "JEAN MOULIN", "LOUISE MICHEL", "JULES VERNE",
    "PAUL BERT", "MARIE CURIE", "VICTOR HUGO", "GUSTAVE EIFFEL", "JEAN JAURES",
    "ALBERT CAMUS", "LA SALLE",
)
_SYLLABLES: Final = (
    "KA", "LI", "VO", "RA", "NE", "TI", "SO", "MA", "LU", "DE", "VEN", "TOR", "AX",
    "EO", "FOR", "PRO", "GEN", "ALT", "NOV", "IA", "CAP", "SEL", "MIR", "ZEN", "OR",
    "LYS", "QUA", "TEL",
)
_ORG_PATTERNS: Final = (
    "{b}", "{b} FORMATION", "GROUPE {b}", "ECOLE {b}", "INSTITUT {b} DE {c}",
    "ASSOCIATION {b} POUR LA FORMATION PROFESSIONNELLE", "{b} & ASSOCIES",
    "{b} ACADEMY", "CENTRE DE FORMATION {b}", "{b} CONSEIL", "SAS {b} CAMPUS",
    "{b} BUSINESS SCHOOL", "ECOLE SUPERIEURE {b} DE {c}",
    "{b} DEVELOPPEMENT & COMPETENCES",
)
_PARTNER_PATTERNS: Final = (
    "CFA {b}", "LYCEE PROFESSIONNEL {s}", "LYCEE DES METIERS {s} {c}", "GRETA {c}",
    "{b} FORMATION {c}", "CENTRE DE FORMATION D'APPRENTIS DE {c}", "ASSOCIATION {b}",
    "ECOLE {b} {c}", "CCI {c}", "{b} & CO", "INSTITUT DE FORMATION {b}",
    "Cfa {bt} {ct}", "{bt} Formation", "CAMPUS {b} {c}",
    "MAISON FAMILIALE RURALE DE {c}", "CHAMBRE DE METIERS ET DE L'ARTISANAT DE {c}",
    "{b} COMPETENCES", "AFORP {c}",
)
_SCHOOL_PATTERNS: Final = (
    "ECOLE SUPERIEURE DE COMMERCE DE {c}",
    "ECOLE NATIONALE SUPERIEURE D'INGENIEURS DE {c}", "INSTITUT SUPERIEUR {b}",
    "ECOLE {b} DE {c}", "{b} BUSINESS SCHOOL",
    "ECOLE SUPERIEURE D'ART ET DE DESIGN DE {c}", "INSTITUT POLYTECHNIQUE {b}",
)
_VERBS: Final = (
    ("Analyser", "analyse"), ("Concevoir", "conçoit"), ("Organiser", "organise"),
    ("Piloter", "pilote"), ("Mettre en œuvre", "met en œuvre"),
    ("Contrôler", "contrôle"), ("Évaluer", "évalue"), ("Accompagner", "accompagne"),
    ("Animer", "anime"), ("Planifier", "planifie"), ("Coordonner", "coordonne"),
    ("Assurer le suivi de", "suit"), ("Superviser", "supervise"),
    ("Diagnostiquer", "diagnostique"), ("Réaliser", "réalise"), ("Élaborer", "élabore"),
    ("Gérer", "gère"), ("Conduire", "conduit"), ("Négocier", "négocie"),
    ("Sécuriser", "sécurise"), ("Optimiser", "optimise"), ("Préparer", "prépare"),
    ("Formaliser", "formalise"), ("Déployer", "déploie"), ("Adapter", "adapte"),
    ("Identifier", "identifie"), ("Rédiger", "rédige"), ("Présenter", "présente"),
    ("Proposer", "propose"), ("Structurer", "structure"),
)
_OBJECTS: Final = (
    "les opérations {dn} en fonction des priorités du service",
    "un projet {dn} de sa conception à sa clôture",
    "les besoins du client en matière {dn}",
    "une veille technique et réglementaire en {n}",
    "les ressources humaines, matérielles et financières d’une activité {dn}",
    "un diagnostic de la situation initiale en {n}",
    "le cahier des charges d’une intervention {dn}",
    "les procédures internes liées à l’activité {dn}",
    "une équipe de collaborateurs intervenant en {n}",
    "les indicateurs de suivi de l’activité {dn}",
    "le budget prévisionnel d’une opération {dn}",
    "les risques professionnels propres aux métiers {dn}",
    "une offre de services en {n} adaptée à la demande",
    "les outils numériques utilisés en {n}",
    "un plan d’actions correctives en {n}",
    "les partenaires et prestataires du secteur {dn}",
    "la traçabilité des interventions {dn}",
    "un support de présentation des résultats en {n}",
    "les consignes de travail d’une équipe {dn}",
    "la conformité des réalisations {dn} aux exigences du client",
    "le planning des interventions {dn}",
    "une démarche d’amélioration continue en {n}",
)
_SHORT_OBJECTS: Final = (
    "les opérations {dn}", "un projet {dn}", "la relation client en {n}",
    "une équipe {dn}", "l’activité {dn}", "la qualité en {n}", "les interventions {dn}",
    "la stratégie {dn}", "le développement commercial en {n}",
    "les ressources d’un service {dn}",
)
_NOMINAL_BLOCS: Final = (
    "Pilotage de l’activité {dn}", "Gestion des opérations {dn}",
    "Management d’une équipe {dn}", "Relation client et communication en {n}",
    "Qualité, sécurité & environnement en {n}", "Développement commercial en {n}",
    "Conception et mise en œuvre de projets {dn}",
)
_COMPLEMENTS: Final = (
    "", "", "", "", "",  # most competences carry no complement
    " en tenant compte des contraintes techniques, économiques et humaines",
    " afin de garantir la satisfaction du client",
    " dans le respect des règles d’hygiène, de santé & de sécurité au travail",
    " selon les procédures en vigueur dans la structure",
    " en s’appuyant sur des outils numériques adaptés",
    " en lien avec les interlocuteurs internes et externes",
    " pour contribuer à la performance globale de l’organisation",
    " en intégrant les enjeux de responsabilité sociétale (RSE)",
    " en veillant à l’accessibilité pour les personnes en situation de handicap",
    " à partir d’une commande ou d’un cahier des charges",
    " dans un contexte « multi-sites » ou à l’international",
    " en respectant le cadre légal (RGPD, droit du travail…)",
    " conformément aux normes qualité en vigueur (ISO 9001, NF…)",
    " pour des structures de taille < 250 salariés",
    " de manière autonome – ou sous la responsabilité d’un encadrant –",
    " en mobilisant une démarche de R&D et d’innovation",
    " dans un délai compatible avec les exigences de production",
    " en adoptant une posture professionnelle et éthique",
    " en prenant en compte la diversité des publics accueillis",
)
_SUBJECTS: Final = (
    "Le titulaire", "Le professionnel", "Il ou elle",
    "Le titulaire de la certification", "Dans ce cadre, il",
    "Au quotidien, le professionnel", "En autonomie, il",
    "Sous l’autorité de sa hiérarchie, il",
)
_CONTEXTS: Final = (
    "Le secteur {dn} connaît de profondes mutations liées à la transition numérique "
    "et écologique.",
    "Les entreprises {dn} peinent à recruter des professionnels qualifiés, en "
    "particulier sur les postes d’encadrement intermédiaire.",
    "La certification répond à un besoin identifié par les branches professionnelles "
    "et les observatoires des métiers.",
    "Les études menées auprès des employeurs montrent une hausse régulière des offres "
    "d’emploi en {n}.",
    "Le métier s’exerce dans un environnement réglementaire exigeant, qui impose une "
    "mise à jour régulière des compétences.",
    "Près de {pct} % des titulaires occupent un emploi en lien avec la certification "
    "six mois après son obtention.",
    "Le référentiel a été construit avec des professionnels en activité afin de "
    "coller au plus près de la réalité du terrain.",
    "Les besoins en {n} se renforcent dans les territoires ruraux comme dans les "
    "métropoles.",
    "L’évolution des attentes des clients et des usagers rend indispensable une "
    "approche « orientée service ».",
    "Le vieillissement des actifs du secteur {dn} laisse prévoir de nombreux départs "
    "à la retraite d’ici 2030.",
)
_MODALITES: Final = (
    "Mise en situation professionnelle reconstituée : {d}",
    "Étude de cas écrite portant sur une situation réelle d’entreprise ({d})",
    "Dossier professionnel présenté et soutenu devant le jury",
    "Entretien technique avec le jury : {d}",
    "Soutenance orale d’un projet réalisé en entreprise : {d}",
    "Questionnaire professionnel à choix multiples",
    "Épreuve pratique chronométrée sur plateau technique ({d})",
    "Rapport d’activité rédigé par le candidat et évalué par deux correcteurs",
    "Jeu de rôle filmé suivi d’un temps d’échange avec les évaluateurs",
    "Évaluation en cours de formation sur la base de grilles critériées",
    "Présentation d’un portfolio de réalisations professionnelles",
    "Contrôle continu et examen terminal écrit ({d})",
    "Observation en situation de travail réelle par le tuteur et un évaluateur externe",
    "Production d’un livrable (note de synthèse, plan d’action…) évalué selon une "
    "grille commune",
    "Pour les candidats en VAE : dossier de validation et entretien avec le jury ({d})",
)
_DURATIONS: Final = (
    "00 h 20 min", "00 h 30 min", "00 h 45 min", "01 h 00 min", "01 h 30 min",
    "02 h 00 min", "03 h 00 min", "4 heures", "30 minutes",
)
_JURY_PARTS: Final = (
    "Le jury est composé de {k} membres : un président choisi parmi les "
    "professionnels du secteur, des représentants des employeurs et des salariés, et "
    "un représentant de l’organisme certificateur.",
    "Le jury, désigné par l’autorité certificatrice, comprend au moins la moitié de "
    "professionnels extérieurs à l’organisme de formation.",
    "Le jury de délivrance est présidé par un professionnel du secteur ; il comprend "
    "{k} membres dont deux représentants des employeurs.",
    "Les membres du jury ne peuvent pas évaluer un candidat qu’ils ont accompagné ou "
    "formé.",
    "En cas de partage des voix, la voix du président est prépondérante.",
    "Le jury se réunit au moins deux fois par an, sur convocation du certificateur.",
    "Le jury est composé de :     * un président, enseignant-chercheur ou inspecteur "
    ";     * {k} professionnels qualifiés du domaine ;     * un formateur de "
    "l’organisme.",
    "La composition du jury respecte un équilibre entre les femmes et les hommes.",
)
_PREREQUIS: Final = (
    "Être titulaire d’une certification de niveau inférieur ou justifier d’une "
    "expérience professionnelle d’au moins {k} ans dans le domaine.",
    "Admission sur dossier, tests écrits et entretien de motivation.",
    "Maîtrise des savoirs de base (lecture, écriture, calcul).",
    "Être âgé de 18 ans au minimum à l’entrée en formation.",
    "Visite médicale d’aptitude obligatoire avant l’entrée en formation.",
    "Pour la voie de la VAE : justifier d’au moins un an d’activité en rapport direct "
    "avec la certification.",
    "Un positionnement préalable permet d’adapter le parcours de formation « sur "
    "mesure ».",
)
_REGLEMENTATIONS: Final = (
    "Exercice soumis à la détention d’une carte professionnelle délivrée par "
    "l’autorité administrative.",
    "Habilitation électrique obligatoire selon les interventions réalisées.",
    "Permis B exigé pour les déplacements chez les clients.",
    "Aucune réglementation spécifique.",
    "Le professionnel respecte les dispositions du code de la santé publique.",
    "Certificat d’aptitude à la conduite en sécurité recommandé.",
    "Néant",
)
# fmt: on


def _escape_all(texts: Sequence[str]) -> tuple[str, ...]:
    """Escapes texts for XML character data once, so that fiches are built without escaping."""
    return tuple(escape(text) for text in texts)


def _de(noun: str) -> str:
    """Joins "de" to a noun phrase with the French elision."""
    return f"d’{noun}" if noun[0] in "aeiouyhéèêâœAEIOUYÉ" else f"de {noun}"


def _capitalize(text: str) -> str:
    """Upper-cases the first letter only."""
    return text[:1].upper() + text[1:]


def _fmt(day: date) -> str:
    """Formats a date the way the flux does (JJ/MM/AAAA)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _add_years(day: date, years: int) -> date:
    """Adds whole years, mapping 29 February to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _text_element(indent: str, tag: str, text: str) -> str:
    """Renders one element whose content is already escaped."""
    return f"{indent}<{tag}>{text}</{tag}>\n"


@dataclass(slots=True)
class _DomainPools:
    """Pre-built, pre-escaped text material of one domain."""

    domain: _Domain
    competences: tuple[str, ...]
    competence_mean: float
    activities: tuple[str, ...]
    activity_mean: float
    contexts: tuple[str, ...]
    bloc_titles: tuple[str, ...]
    sector_lines: tuple[str, ...]
    jobs: tuple[str, ...]
    job_titles: tuple[str, ...]
    nouns: tuple[str, ...]
    formacodes: tuple[str, ...]
    nsf: tuple[str, ...]
    romes: tuple[str, ...]


@dataclass(slots=True)
class _Version:
    """One fiche of a certification family, as planned before it is rendered."""

    era: int
    number: int
    id_fiche: int
    start: date
    predecessor: int = -1
    successors: list[int] = field(default_factory=list)
    anciennes: list[str] = field(default_factory=list)
    nouvelles: list[str] = field(default_factory=list)
    effective: date = date.min
    fin: date | None = None
    duree: int = 0
    blocs: int = 0


@dataclass(slots=True)
class _Family:
    """What the versions of one certification share."""

    pools: _DomainPools
    abrege: _Abrege
    sur_demande: bool
    level: int
    title: str
    certifiers: list[tuple[str | None, str, str]]
    bloc_base: int
    partner_base: int
    url: str


class _Generator:
    """Plans certification families one at a time and renders their fiches as XML text."""

    def __init__(self, rng: random.Random, today: date, fiches: int) -> None:
        """Pre-builds every vocabulary pool and the per-year capacities of the flux."""
        self.rng = rng
        self.today = today
        self.fiches = fiches
        self._build_eras(fiches)
        self.pools = [self._build_domain(domain) for domain in _DOMAINS]
        self.pools_by_key = {pools.domain.key: pools for pools in self.pools}
        self.modalites = self._build_modalites()
        self.modalite_mean = sum(map(len, self.modalites)) / len(self.modalites)
        self.juries = self._build_juries()
        self.prerequis = _escape_all(
            [text.format(k=k) for text in _PREREQUIS for k in (1, 2, 3)]
        )
        self.reglementations = _escape_all(_REGLEMENTATIONS)
        self.general_blocs = _escape_all(_GENERAL_BLOCS)
        self.private_orgs = self._build_orgs(_ORG_PATTERNS, 2400, with_siret=0.5)
        self.schools = self._build_orgs(_SCHOOL_PATTERNS, 500, with_siret=0.9)
        self.partners = self._build_partners(12_000)
        self.abreges_by_level = {
            level: (
                [a for a in _ABREGES if level in a.levels],
                [a.weight / len(a.levels) for a in _ABREGES if level in a.levels],
            )
            for level in range(3, 9)
        }
        # Recently written fiches with blocs, for equivalences with fiches outside the lineage.
        self.recent: deque[tuple[int, int]] = deque(maxlen=64)

    # ----------------------------------------------------------------------------------------
    # Vocabulary
    # ----------------------------------------------------------------------------------------

    def _build_eras(self, fiches: int) -> None:
        """Splits the fiches over the years and gives each year its number range and dates."""
        total_weight = sum(weight for _, weight in _ERAS)
        exact = [fiches * weight / total_weight for _, weight in _ERAS]
        caps = [int(value) for value in exact]
        # Largest remainders, with the index as a tie-break so that the split is deterministic.
        order = sorted(range(len(exact)), key=lambda i: (caps[i] - exact[i], i))
        for i in order[: fiches - sum(caps)]:
            caps[i] += 1
        self.caps = caps
        self.cursors = [0] * len(caps)
        self.widths = [
            max(width, cap) for (width, _), cap in zip(_ERAS, caps, strict=True)
        ]
        self.lows: list[int] = []
        self.offsets: list[int] = []
        low, offset = _FIRST_NUMBER, 0
        for width, cap in zip(self.widths, caps, strict=True):
            self.lows.append(low)
            self.offsets.append(offset)
            low += width
            offset += cap
        newest = self.today.toordinal() - _DAYS_BEFORE_TODAY
        count = len(caps)
        self.era_starts = [newest - (count - era) * 365 for era in range(count)]
        self.first_open = 0

    def _build_domain(self, domain: _Domain) -> _DomainPools:
        """Combines verbs, objects and complements into the text material of a domain."""
        rng = self.rng
        fills = [{"n": noun, "dn": _de(noun)} for noun in domain.nouns]
        competences = []
        for _ in range(420):
            verb, _third = rng.choice(_VERBS)
            obj = rng.choice(_OBJECTS).format_map(rng.choice(fills))
            competences.append(f"{verb} {obj}{rng.choice(_COMPLEMENTS)}")
        activities = []
        for _ in range(260):
            _verb, third = rng.choice(_VERBS)
            obj = rng.choice(_OBJECTS).format_map(rng.choice(fills))
            if rng.random() < 0.25:
                subject = f"En tant que {rng.choice(domain.jobs).lower()}, il"
            else:
                subject = rng.choice(_SUBJECTS)
            activities.append(f"{subject} {third} {obj}{rng.choice(_COMPLEMENTS)}.")
        contexts = []
        for _ in range(90):
            sentence = rng.choice(_CONTEXTS).format(
                pct=rng.randrange(55, 96), **rng.choice(fills)
            )
            contexts.append(sentence)
        titles = []
        for _ in range(50):
            if rng.random() < 0.3:
                titles.append(
                    _capitalize(
                        rng.choice(_NOMINAL_BLOCS).format_map(rng.choice(fills))
                    )
                )
            else:
                verb, _third = rng.choice(_VERBS)
                titles.append(
                    f"{verb} {rng.choice(_SHORT_OBJECTS).format_map(rng.choice(fills))}"
                )
        # Short titles weigh as much as the long ones: real bloc titles have a median of ~35.
        titles.extend(_capitalize(noun) for noun in domain.nouns * 4)
        titles.extend(_SHORT_BLOCS)
        sector_lines = [
            *domain.sectors,
            *(f"Entreprises spécialisées en {n}" for n in domain.nouns),
        ]
        job_titles = [
            *domain.jobs,
            *(f"{job} confirmé" for job in domain.jobs),
            *(f"{job} adjoint" for job in domain.jobs[:3]),
            *(f"Assistant {_de(noun)}" for noun in domain.nouns[:3]),
            *(f"Chargé de mission en {noun}" for noun in domain.nouns[2:]),
        ]
        competences_escaped = _escape_all(competences)
        activities_escaped = _escape_all(activities)
        return _DomainPools(
            domain=domain,
            competences=competences_escaped,
            competence_mean=sum(map(len, competences_escaped))
            / len(competences_escaped),
            activities=activities_escaped,
            activity_mean=sum(map(len, activities_escaped)) / len(activities_escaped),
            contexts=_escape_all(contexts),
            bloc_titles=_escape_all([t for t in titles if 8 <= len(t) <= 118]),
            sector_lines=_escape_all(sector_lines),
            jobs=tuple(domain.jobs),
            job_titles=_escape_all(job_titles),
            nouns=tuple(domain.nouns),
            formacodes=tuple(
                f"{_I3}<FORMACODE>\n{_I4}<CODE>{code}</CODE>\n"
                f"{_I4}<LIBELLE>{escape(label)}</LIBELLE>\n{_I3}</FORMACODE>\n"
                for code, label in domain.formacodes
            ),
            nsf=tuple(
                f"{_I3}<NSF>\n{_I4}<CODE>{code}</CODE>\n"
                f"{_I4}<LIBELLE>{escape(label)}</LIBELLE>\n{_I3}</NSF>\n"
                for code, label in domain.nsf
            ),
            romes=tuple(
                f"{_I3}<ROME>\n{_I4}<CODE>{code}</CODE>\n"
                f"{_I4}<LIBELLE>{escape(label)}</LIBELLE>\n{_I3}</ROME>\n"
                for code, label in domain.romes
            ),
        )

    def _build_modalites(self) -> tuple[str, ...]:
        """Builds the pool of assessment descriptions."""
        rng = self.rng
        items = [
            rng.choice(_MODALITES).format(d=rng.choice(_DURATIONS)) for _ in range(240)
        ]
        return _escape_all(items)

    def _build_juries(self) -> tuple[str, ...]:
        """Builds jury compositions of two to four sentences."""
        rng = self.rng
        juries = []
        for _ in range(80):
            parts = rng.sample(_JURY_PARTS, rng.randint(2, 4))
            separator = " " * rng.choice((1, 2, 4))
            juries.append(
                separator.join(part.format(k=rng.randint(3, 7)) for part in parts)
            )
        return _escape_all(juries)

    def _brand(self) -> str:
        """Makes up a brand-like name from two or three syllables."""
        rng = self.rng
        return "".join(rng.choices(_SYLLABLES, k=rng.choice((2, 3, 3))))

    def _siret(self) -> str:
        """Makes up a SIRET whose SIREN and SIRET both pass the Luhn check."""
        rng = self.rng
        siren = _luhn_complete(str(rng.randrange(10_000_000, 99_999_999)))
        return _luhn_complete(f"{siren}{rng.randrange(1, 9999):04d}")

    def _build_orgs(
        self, patterns: Sequence[str], count: int, *, with_siret: float
    ) -> list[tuple[str | None, str]]:
        """Makes up certifying bodies, some of them without a SIRET."""
        rng = self.rng
        orgs: list[tuple[str | None, str]] = []
        for _ in range(count):
            name = rng.choice(patterns).format(b=self._brand(), c=rng.choice(_CITIES))
            orgs.append(
                (self._siret() if rng.random() < with_siret else None, escape(name))
            )
        return orgs

    def _build_partners(self, count: int) -> list[str]:
        """Pre-renders partner names and SIRETs, some organisations with several establishments."""
        rng = self.rng
        rows: list[str] = []
        while len(rows) < count:
            brand = self._brand()
            city = rng.choice(_CITIES)
            name = rng.choice(_PARTNER_PATTERNS).format(
                b=brand,
                bt=brand.title(),
                c=city,
                ct=city.title(),
                s=rng.choice(_SAINTS),
            )
            siren = _luhn_complete(str(rng.randrange(10_000_000, 99_999_999)))
            for _ in range(rng.choice((1, 1, 1, 1, 1, 2, 3))):
                siret = _luhn_complete(f"{siren}{rng.randrange(1, 9999):04d}")
                rows.append(
                    f"{_I3}<PARTENAIRE>\n{_I4}<NOM_PARTENAIRE>{escape(name)}</NOM_PARTENAIRE>\n"
                    f"{_I4}<SIRET_PARTENAIRE>{siret}</SIRET_PARTENAIRE>\n"
                )
        return rows

    # ----------------------------------------------------------------------------------------
    # Planning
    # ----------------------------------------------------------------------------------------

    def _take(self, era: int) -> _Version:
        """Takes the next free slot of a year: its RNCP number, technical id and start date."""
        rng = self.rng
        index = self.cursors[era]
        self.cursors[era] = index + 1
        cap, width = self.caps[era], self.widths[era]
        low_step, high_step = index * width // cap, (index + 1) * width // cap
        number = self.lows[era] + low_step + rng.randrange(high_step - low_step)
        slot = self.offsets[era] + index
        day = (
            self.era_starts[era]
            + index * 365 // cap
            + rng.randrange(max(1, 365 // cap))
        )
        return _Version(era, number, 1 + slot + slot // 5, date.fromordinal(day))

    def _open_era(self, era: int) -> int:
        """Finds a year at or just after `era` with a free slot, or -1."""
        for candidate in (era, era + 1, era - 1):
            if (
                0 <= candidate < len(self.caps)
                and self.cursors[candidate] < self.caps[candidate]
            ):
                return candidate
        return -1

    def _link(self, versions: list[_Version], old: int, new: int) -> None:
        """Records a renewal on both fiches, or now and then on one side only."""
        rng = self.rng
        versions[new].predecessor = old
        versions[old].successors.append(new)
        draw = rng.random()
        if draw >= _P_ONE_SIDED / 2:
            versions[new].anciennes.append(f"RNCP{versions[old].number}")
        if draw < _P_ONE_SIDED / 2 or draw >= _P_ONE_SIDED:
            versions[old].nouvelles.append(f"RNCP{versions[new].number}")

    def _plan_versions(self) -> list[_Version]:
        """Plans the lineage of one certification, starting in the oldest year with room."""
        rng = self.rng
        while self.cursors[self.first_open] >= self.caps[self.first_open]:
            self.first_open += 1
        versions = [self._take(self.first_open)]
        if rng.random() < _P_PREHISTORIC:
            versions[0].anciennes.append(f"RNCP{rng.randrange(100, _FIRST_NUMBER)}")
        current = 0
        while rng.random() < _P_RENEWED:
            gap = rng.choices(_GAPS, _GAP_WEIGHTS)[0]
            era = self._open_era(versions[current].era + gap)
            if era <= versions[current].era:
                break
            versions.append(self._take(era))
            self._link(versions, current, len(versions) - 1)
            following = len(versions) - 1
            if rng.random() < _P_SPLIT and self._open_era(era) == era:
                versions.append(self._take(era))
                self._link(versions, current, len(versions) - 1)
            current = following
        return versions

    def _plan_family(self, versions: list[_Version]) -> _Family:
        """Chooses what the versions share: domain, type, level, title, certifiers."""
        rng = self.rng
        recent = self.today.toordinal() - versions[-1].start.toordinal() < 5 * 365
        mix = _ACTIVE_LEVEL_MIX if recent else _OLD_LEVEL_MIX
        level = rng.choices([lvl for lvl, _ in mix], [w for _, w in mix])[0]
        candidates, weights = self.abreges_by_level[level]
        abrege = rng.choices(candidates, weights)[0]
        pools = (
            self.pools_by_key[rng.choice(abrege.domains)]
            if abrege.domains
            else rng.choice(self.pools)
        )
        sur_demande = rng.random() < abrege.p_sur_demande
        certifiers = self._plan_certifiers(abrege, pools, sur_demande)
        if abrege.code == "TP":
            partner_base = (
                rng.randint(420, 480)
                if rng.random() < 0.1
                else int(rng.lognormvariate(4.8, 0.7))
            )
        elif sur_demande:
            partner_base = (
                0 if rng.random() < 0.12 else int(rng.lognormvariate(3.2, 0.7))
            )
        elif rng.random() < 0.05:
            partner_base = rng.randint(1, 3)
        else:
            partner_base = 0
        brand = certifiers[0][1] if certifiers else "certification"
        slug = "".join(ch for ch in brand.lower() if ch.isalnum())[:18] or "certif"
        return _Family(
            pools=pools,
            abrege=abrege,
            sur_demande=sur_demande,
            level=level,
            title=self._title(abrege, pools),
            certifiers=certifiers,
            bloc_base=rng.choices(_BLOC_COUNTS, _BLOC_WEIGHTS)[0],
            partner_base=partner_base,
            url=f"https://www.{slug}.fr/{rng.choice(('formations', 'certification', 'titre'))}",
        )

    def _plan_certifiers(
        self, abrege: _Abrege, pools: _DomainPools, sur_demande: bool
    ) -> list[tuple[str | None, str, str]]:
        """Chooses the certifying bodies: ministries for state diplomas, private bodies else."""
        rng = self.rng
        if rng.random() < 0.006:
            return []
        kind = abrege.certifier
        if kind == "private" and not sur_demande:
            kind = rng.choice(("interieur", "armees", "sante", "school"))
        if kind in _MINISTRIES:
            siret, name = _MINISTRIES[kind]
            return [(siret, escape(name), "Actif")]
        if kind in ("school", "university"):
            if kind == "university":
                city = rng.choice(_CITIES)
                school: tuple[str | None, str] = (
                    self._siret() if rng.random() < 0.5 else None,
                    f"UNIVERSITE DE {city}"
                    if rng.random() < 0.8
                    else f"UNIVERSITE {city} SUD",
                )
            else:
                school = rng.choice(self.schools)
            rows = [(school[0], school[1], "Actif")]
            if rng.random() < 0.55:
                siret, name = _MINISTRIES["superieur"]
                rows.append((siret, escape(name), "Actif"))
            return rows
        if kind == "branch":
            if pools.domain.key in ("metallurgie", "maintenance", "electricite"):
                return [
                    (
                        self._siret() if rng.random() < 0.5 else None,
                        escape(_UIMM),
                        "Actif",
                    )
                ]
            name = f"COMMISSION PARITAIRE NATIONALE DE L'EMPLOI {pools.domain.branch}"
            return [(None, escape(name), "Actif")]
        body_siret, body_name = rng.choice(self.private_orgs)
        rows = [(body_siret, body_name, "Actif")]
        draw = rng.random()
        if draw < 0.08 and body_siret is not None:
            # The same body under an older establishment (same SIREN), no longer in use.
            old_siret = _luhn_complete(f"{body_siret[:9]}{rng.randrange(1, 9999):04d}")
            rows.append((old_siret, body_name, "Inactif"))
        elif draw < 0.16:
            other = rng.choice(self.private_orgs)
            rows.append((other[0], other[1], "Actif"))
        return rows

    def _title(self, abrege: _Abrege, pools: _DomainPools) -> str:
        """Makes up an escaped title (INTITULE) that suits the type of certification."""
        rng = self.rng
        noun = rng.choice(pools.nouns)
        job = rng.choice(pools.jobs)
        code = abrege.code
        if code in ("TP", "CQP"):
            title = job if code == "TP" else f"{rng.choice(('CQP ', ''))}{job}"
        elif code in ("CAP", "CAPA", "CAPD", "BPA"):
            title = rng.choice((job, _capitalize(noun)))
        elif code in ("MASTER", "LICENCE", "DOCTORAT"):
            title = f"{abrege.label} – {_capitalize(noun)}"
        elif code == "Licence Professionnelle":
            title = f"Licence professionnelle – Métiers {_de(noun)}"
        elif code == "Titre ingénieur":
            title = f"Ingénieur diplômé de l’École {self._brand().title()} spécialité {noun}"
        elif code in ("DipViGrM", "Grade_Master", "DIPLOVIS"):
            title = f"Diplôme de l’École {self._brand().title()} – parcours {noun}"
        elif code in ("DipViGrL", "Grade_Licence"):
            title = f"Bachelor en {noun}"
        elif code in ("DEJEPS", "DESJEPS", "BPJEPS", "CPJEPS"):
            title = f"{code} spécialité « {noun} »"
        elif code == "DE":
            title = f"Diplôme d’État {_de(job.lower())}"
        elif code == "":
            pattern = rng.randrange(6)
            if pattern == 0:
                title = job
            elif pattern == 1:
                title = f"{job} en {noun}"
            elif pattern == 2:
                title = f"Manager {_de(noun)}"
            elif pattern == 3:
                title = f"Responsable {_de(noun)}"
            elif pattern == 4:
                title = f"Expert en {noun}"
            else:
                title = f"Chargé de projet en {noun}"
            if rng.random() < 0.01:
                title += " (Fiche incomplète)"
        elif rng.random() < 0.15:
            title = f"{_capitalize(noun)} – option {rng.choice(pools.nouns)}"
        else:
            title = _capitalize(noun)
        if len(title) < 13:  # titles of the flux have 13 characters at least
            if title in pools.jobs:
                title = (
                    f"{title} {rng.choice(('qualifié', 'polyvalent', 'spécialisé'))}"
                )
            else:
                title = f"{title} {rng.choice(_SHORT_TITLE_ENDS)}"
        return escape(title)

    def _plan_dates(self, versions: list[_Version], family: _Family) -> None:
        """Sets effective dates and ends so that renewals follow each other."""
        rng = self.rng
        school_year = family.abrege.code in _SCHOOL_YEAR_CODES
        for version in versions:
            start = version.start
            if family.sur_demande or not school_year:
                version.effective = start
            else:
                version.effective = date(
                    start.year if start.month >= 9 else start.year - 1, 9, 1
                )
        today = self.today.toordinal()
        for version in versions:
            renewal = (
                versions[version.successors[0]].effective
                if version.successors and rng.random() < _P_FIN_AT_RENEWAL
                else None
            )
            effective = version.effective
            if family.sur_demande:
                if renewal is not None:
                    years = round(
                        (renewal.toordinal() - effective.toordinal()) / 365.25
                    )
                    duree = min(5, max(1, years))
                else:
                    duree = rng.choices(_DUREES, _DUREE_WEIGHTS)[0]
                version.fin = _add_years(effective, duree)
                version.duree = duree
            elif renewal is not None:
                version.fin = renewal - timedelta(days=1)
            elif school_year:
                version.fin = date(effective.year + rng.choice((4, 5, 5, 5, 6)), 8, 31)
            elif today - effective.toordinal() > 8 * 365 and rng.random() < 0.12:
                # Old "de droit" fiches were registered without an end (FORMATS.md §1.3).
                version.fin = None
            else:
                version.fin = _add_years(effective, 5) - timedelta(
                    days=rng.choice((0, 1))
                )

    # ----------------------------------------------------------------------------------------
    # Rendering
    # ----------------------------------------------------------------------------------------

    def _list_text(
        self, items: Sequence[str], mean: float, target: int, low: int, high: int
    ) -> str:
        """Joins pool items into one long text with the separators of the flux."""
        rng = self.rng
        count = max(1, round(target / (mean + 4)))
        picked = rng.choices(items, k=count)
        style = rng.randrange(7)
        if style == 0:
            text = "- " + "  - ".join(picked)
        elif style == 1:
            text = "* " + "      * ".join(picked)
        elif style == 2:
            text = "• " + "   • ".join(picked)
        elif style == 3:
            text = "    ".join(picked)
        elif style == 4:
            text = "   ".join(f"C{i}. {item}" for i, item in enumerate(picked, 1))
        elif style == 5:
            text = "– " + "  – ".join(picked)
        else:
            text = "  ".join(picked)
        # A little margin: entities such as &amp; shrink the text once parsed.
        while len(text) < low + 8:
            text = f"{text}  {rng.choice(items)}"
        if len(text) > high:
            cut = text.rfind(" ", 0, high)
            text = text[: cut if cut > 0 else high].rstrip()
        return text

    def _length(self, median: float, sigma: float) -> int:
        """Draws a text length from a log-normal law."""
        return int(self.rng.lognormvariate(math.log(median), sigma))

    def _render(
        self, versions: list[_Version], index: int, family: _Family
    ) -> tuple[str, int, int]:
        """Renders one fiche; returns its XML text, its number of blocs and of partners."""
        rng = self.rng
        version = versions[index]
        pools = family.pools
        today = self.today
        fin = version.fin
        active = fin is not None and today <= fin
        age_days = today.toordinal() - version.start.toordinal()
        old = age_days > 7 * 365
        shrink = 0.6 if old else 1.0
        numero = f"RNCP{version.number}"
        out: list[str] = [
            f"    <FICHE>\n{_I2}<ID_FICHE>{version.id_fiche}</ID_FICHE>\n"
            f"{_I2}<NUMERO_FICHE>{numero}</NUMERO_FICHE>\n"
        ]
        if version.nouvelles:
            out.append(f"{_I2}<NOUVELLES_CERTIFICATIONS>\n")
            out.extend(
                f"{_I3}<NOUVELLE_CERTIFICATION>\n{_I4}<ID_FICHE_NOUVELLE_CERTIFICATION>{n}"
                f"</ID_FICHE_NOUVELLE_CERTIFICATION>\n{_I3}</NOUVELLE_CERTIFICATION>\n"
                for n in version.nouvelles
            )
            out.append(f"{_I2}</NOUVELLES_CERTIFICATIONS>\n")
        if version.anciennes:
            out.append(f"{_I2}<ANCIENNES_CERTIFICATIONS>\n")
            out.extend(
                f"{_I3}<ANCIENNE_CERTIFICATION>\n{_I4}<ID_FICHE_ANCIENNE_CERTIFICATION>{n}"
                f"</ID_FICHE_ANCIENNE_CERTIFICATION>\n{_I3}</ANCIENNE_CERTIFICATION>\n"
                for n in version.anciennes
            )
            out.append(f"{_I2}</ANCIENNES_CERTIFICATIONS>\n")
        out.append(_text_element(_I2, "INTITULE", family.title))
        abrege = family.abrege
        if abrege.code:
            out.append(
                f"{_I2}<ABREGE>\n{_I3}<CODE>{abrege.code}</CODE>\n"
                f"{_I3}<LIBELLE>{escape(abrege.label)}</LIBELLE>\n{_I2}</ABREGE>\n"
            )
        out.append(_text_element(_I2, "ETAT_FICHE", self._etat_fiche(active, family)))
        if not old or rng.random() < 0.97:
            out.append(f"{_I2}<FORMACODES>\n")
            out.extend(
                rng.sample(
                    pools.formacodes, rng.randint(1, min(5, len(pools.formacodes)))
                )
            )
            out.append(f"{_I2}</FORMACODES>\n")
        level = family.level
        out.append(
            f"{_I2}<NOMENCLATURE_EUROPE>\n{_I3}<NIVEAU>NIV{level}</NIVEAU>\n"
            f"{_I3}<LIBELLE>Niveau {level}</LIBELLE>\n{_I2}</NOMENCLATURE_EUROPE>\n"
        )
        out.append(f"{_I2}<CODES_NSF>\n")
        out.extend(rng.sample(pools.nsf, rng.choice((1, 1, 2, 3))))
        out.append(f"{_I2}</CODES_NSF>\n")
        publication = version.effective - timedelta(days=rng.randint(-60, 150))
        if family.certifiers:
            stamp = _fmt(publication if not family.sur_demande else version.effective)
            with_stamp = rng.random() < (0.7 if not family.sur_demande else 0.2)
            out.append(f"{_I2}<CERTIFICATEURS>\n")
            for siret, name, etat in family.certifiers:
                out.append(f"{_I3}<CERTIFICATEUR>\n")
                if siret is not None:
                    out.append(_text_element(_I4, "SIRET_CERTIFICATEUR", siret))
                out.append(_text_element(_I4, "NOM_CERTIFICATEUR", name))
                out.append(_text_element(_I4, "ETAT_CERTIFICATEUR", etat))
                if with_stamp:
                    out.append(
                        _text_element(_I4, "DATE_DERNIERE_MODIFICATION_ETAT", stamp)
                    )
                out.append(f"{_I3}</CERTIFICATEUR>\n")
            out.append(f"{_I2}</CERTIFICATEURS>\n")
        partners = self._partner_count(family, age_days)
        out.append(
            _text_element(_I2, "EXISTENCE_PARTENAIRES", "Oui" if partners else "Non")
        )
        if partners:
            out.append(f"{_I2}<PARTENAIRES>\n")
            out.append(self._partners(partners, active, version.effective))
            out.append(f"{_I2}</PARTENAIRES>\n")
        bloc_count = self._bloc_count(family, age_days)
        bloc_lists = [
            self._list_text(
                pools.competences,
                pools.competence_mean,
                self._length(1150 * shrink, 0.6),
                150,
                2900,
            )
            for _ in range(bloc_count)
        ]
        out.append(
            _text_element(
                _I2,
                "ACTIVITES_VISEES",
                self._list_text(
                    pools.activities,
                    pools.activity_mean,
                    self._length(1250 * shrink, 0.85),
                    120,
                    14_000,
                ),
            )
        )
        if bloc_lists and rng.random() < 0.8:
            capacites = (
                "Compétences évaluées en vue de la certification :    "
                + "    ".join(bloc_lists)
            )
            if len(capacites) > 10_000:
                capacites = capacites[: capacites.rfind(" ", 0, 10_000)].rstrip()
        else:
            capacites = self._list_text(
                pools.competences,
                pools.competence_mean,
                self._length(1500 * shrink, 0.8),
                150,
                10_000,
            )
        out.append(_text_element(_I2, "CAPACITES_ATTESTEES", capacites))
        out.append(_text_element(_I2, "SECTEURS_ACTIVITE", self._sectors(pools)))
        out.append(_text_element(_I2, "TYPE_EMPLOI_ACCESSIBLES", self._jobs(pools)))
        out.append(f"{_I2}<CODES_ROME>\n")
        out.extend(rng.sample(pools.romes, rng.randint(1, len(pools.romes))))
        out.append(f"{_I2}</CODES_ROME>\n")
        if rng.random() < 0.3:
            out.append(
                _text_element(
                    _I2, "REGLEMENTATIONS_ACTIVITES", rng.choice(self.reglementations)
                )
            )
        out.append(self._juries(active, family))
        accessible = "Oui" if rng.random() < 0.12 else "Non"
        out.append(_text_element(_I2, "ACCESSIBLE_NOUVELLE_CALEDONIE", accessible))
        out.append(_text_element(_I2, "ACCESSIBLE_POLYNESIE_FRANCAISE", accessible))
        if not family.sur_demande and rng.random() < 0.6:
            out.append(self._publications(family, publication))
        elif family.sur_demande and rng.random() < 0.3:
            out.append(
                self._publications(family, version.effective - timedelta(days=3650))
            )
            if rng.random() < 0.3:
                jo = version.effective - timedelta(days=rng.randint(1500, 4000))
                out.append(_text_element(_I2, "DATE_DERNIER_JO", _fmt(jo)))
        if family.sur_demande:
            out.append(_text_element(_I2, "DATE_DECISION", _fmt(version.effective)))
            out.append(_text_element(_I2, "DUREE_ENREGISTREMENT", str(version.duree)))
        if rng.random() < (0.45 if family.sur_demande else 0.25):
            out.append(self._statistics(version.start.year))
        if rng.random() < (0.7 if family.sur_demande else 0.2):
            url = family.url
            if rng.random() < 0.15:
                url = f"{url}    {url}/vae"
            out.append(_text_element(_I2, "LIEN_URL_DESCRIPTION", url))
        if fin is not None:
            out.append(_text_element(_I2, "DATE_FIN_ENREGISTREMENT", _fmt(fin)))
        if not family.sur_demande:
            out.append(_text_element(_I2, "DATE_EFFET", _fmt(version.effective)))
        elif rng.random() < 0.04:
            year = version.start.year
            out.append(
                f"{_I2}<ANNEES_PROMOTIONS_NIVEAU>\n{_I3}<ANNEE>{year - 1}</ANNEE>\n"
                f"{_I3}<ANNEE>{year - 2}</ANNEE>\n{_I2}</ANNEES_PROMOTIONS_NIVEAU>\n"
            )
        registration = "sur demande" if family.sur_demande else "de droit"
        out.append(
            _text_element(_I2, "TYPE_ENREGISTREMENT", f"Enregistrement {registration}")
        )
        if bloc_count:
            out.append(self._blocs(numero, bloc_lists, family, pools))
        out.append(
            _text_element(
                _I2,
                "OBJECTIFS_CONTEXTE",
                self._list_text(
                    pools.contexts, 150.0, self._length(900 * shrink, 0.5), 150, 2500
                ),
            )
        )
        out.append(_text_element(_I2, "ACTIF", "Oui" if active else "Non"))
        if rng.random() < 0.45:
            text = self._list_text(
                self.prerequis, 110.0, self._length(400, 0.6), 40, 1200
            )
            out.append(_text_element(_I2, "PREREQUIS_ENTREE_FORMATION", text))
        if rng.random() < 0.05:
            weeks = rng.randint(4, 16)
            text = (
                f"Validation de l’ensemble des blocs et d’un stage de {weeks} semaines."
            )
            out.append(
                _text_element(_I2, "PREREQUIS_VALIDATION_CERTIFICATION", escape(text))
            )
        if not family.sur_demande:
            out.append(_text_element(_I2, "DATE_DE_PUBLICATION", _fmt(publication)))
        if fin is not None and rng.random() < (0.35 if version.successors else 0.08):
            limit = _add_years(fin, rng.randint(3, 5))
            out.append(_text_element(_I2, "DATE_LIMITE_DELIVRANCE", _fmt(limit)))
        if bloc_count:
            out.append(self._correspondances(versions, version, bloc_count))
            self.recent.append((version.number, bloc_count))
        out.append("    </FICHE>\n")
        return "".join(out), bloc_count, partners

    def _etat_fiche(self, active: bool, family: _Family) -> str:
        """Draws the publication state of a fiche."""
        draw = self.rng.random()
        if active:
            if draw < 0.86:
                return "Publiée"
            if draw < 0.96 or family.sur_demande:
                return "Modifications à valider"
            return "Modifications à valider par le ministère"
        if draw < 0.74:
            return "Publiée"
        if draw < 0.96:
            return "Dépubliée/Archivée"
        return "Modifications à valider"

    def _bloc_count(self, family: _Family, age_days: int) -> int:
        """Draws how many blocs a version has; blocs are mandatory only since the 2019 reform."""
        rng = self.rng
        if rng.random() >= (0.97 if age_days <= 6 * 365 + 180 else 0.23):
            return 0
        count = family.bloc_base + rng.choice((0, 0, 0, 0, 0, 0, 1, -1))
        return min(10, max(2, count))

    def _partner_count(self, family: _Family, age_days: int) -> int:
        """Draws how many partners (habilitated organisations) a version lists."""
        base = family.partner_base
        if not base:
            return 0
        rng = self.rng
        if age_days > 7 * 365 and rng.random() < 0.35:
            return 0  # habilitations were only recorded in the flux since 2019
        if family.abrege.code == "TP":
            return max(1, min(480, int(base * rng.uniform(0.85, 1.1))))
        if family.sur_demande:
            return max(3, min(60, int(base * rng.uniform(0.7, 1.3))))
        return base

    def _partners(self, count: int, active: bool, effective: date) -> str:
        """Renders the partner rows, sorted by name like the flux."""
        rng = self.rng
        since = _fmt(effective)
        changed = _fmt(effective + timedelta(days=rng.randint(0, 400)))
        dates = rng.randrange(4)
        if dates == 0:
            stamps = f"{_I4}<DATE_ACTIF>{since}</DATE_ACTIF>\n"
            stamps += f"{_I4}<DATE_DERNIERE_MODIFICATION_ETAT>{since}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
        elif dates == 1:
            stamps = f"{_I4}<DATE_DERNIERE_MODIFICATION_ETAT>{changed}</DATE_DERNIERE_MODIFICATION_ETAT>\n"
        else:
            stamps = ""
        main_state, other_state = (
            ("Actif", "Supprimé") if active else ("Inactif", "Supprimé")
        )
        tails = {}
        for habilitation in (
            "HABILITATION_ORGA_FORM",
            "HABILITATION_FORMER",
            "HABILITATION_ORGANISER",
        ):
            for state in (main_state, other_state):
                tails[habilitation, state] = (
                    f"{_I4}<HABILITATION_PARTENAIRE>{habilitation}</HABILITATION_PARTENAIRE>\n"
                    f"{_I4}<ETAT_HABILITATION>{state}</ETAT_HABILITATION>\n{stamps}{_I3}</PARTENAIRE>\n"
                )
        usual = tails["HABILITATION_ORGA_FORM", main_state]
        rows = sorted(rng.sample(self.partners, min(count, len(self.partners))))
        random_draw = rng.random
        out = []
        for row in rows:
            draw = random_draw()
            if draw < 0.92:
                out.append(row + usual)
            elif draw < 0.96:
                out.append(row + tails["HABILITATION_FORMER", main_state])
            elif draw < 0.98:
                out.append(row + tails["HABILITATION_ORGANISER", main_state])
            else:
                out.append(row + tails["HABILITATION_ORGA_FORM", other_state])
        return "".join(out)

    def _sectors(self, pools: _DomainPools) -> str:
        """Renders the sectors of activity as a short list."""
        rng = self.rng
        lines = rng.sample(
            pools.sector_lines, rng.randint(2, min(6, len(pools.sector_lines)))
        )
        intro = rng.choice(
            (
                "Le titulaire exerce principalement dans les structures suivantes :  - ",
                "Secteurs d’activité :    * ",
                "",
            )
        )
        return escape(intro) + rng.choice(("  - ", "    * ", ", ", " ; ")).join(lines)

    def _jobs(self, pools: _DomainPools) -> str:
        """Renders the accessible jobs as a list of titles."""
        rng = self.rng
        titles = rng.sample(
            pools.job_titles, rng.randint(2, min(9, len(pools.job_titles)))
        )
        return rng.choice((", ", "  - ", "   ", " ; ")).join(titles)

    def _juries(self, active: bool, family: _Family) -> str:
        """Renders the six access routes (SI_JURY_*), with jury compositions."""
        rng = self.rng
        composition = f"{_I3}<COMPOSITION>{rng.choice(self.juries)}</COMPOSITION>\n"
        stamp = ""
        if rng.random() < 0.08:
            when = self.today - timedelta(days=rng.randint(30, 900))
            stamp = f"{_I3}<DATE_DERNIERE_MODIFICATION>{_fmt(when)}</DATE_DERNIERE_MODIFICATION>\n"
        flags: tuple[bool, ...]
        if family.abrege.code == "TP":
            flags = (False, True, True, True, False)
        else:
            flags = tuple(rng.random() < p for p in (0.7, 0.65, 0.8, 0.6, 0.45))
        vae = rng.random() < (0.93 if active else 0.75)
        out = []
        for tag, flag in zip(
            (
                "SI_JURY_FI",
                "SI_JURY_CA",
                "SI_JURY_FC",
                "SI_JURY_CQ",
                "SI_JURY_CL",
                "SI_JURY_VAE",
            ),
            (*flags, vae),
            strict=True,
        ):
            if flag:
                out.append(
                    f"{_I2}<{tag}>\n{stamp}{_I3}<ACTIF>Oui</ACTIF>\n{composition}{_I2}</{tag}>\n"
                )
            else:
                out.append(
                    f"{_I2}<{tag}>\n{stamp}{_I3}<ACTIF>Non</ACTIF>\n{_I2}</{tag}>\n"
                )
        return "".join(out)

    def _publications(self, family: _Family, when: date) -> str:
        """Renders the legal texts (PUBLICATION_DECRET_*) of a fiche."""
        rng = self.rng
        signed = when - timedelta(days=rng.randint(20, 60))
        signed_text = f"{signed.day} {_MONTHS[signed.month - 1]} {signed.year}"
        label = family.abrege.label or "titre"
        creation = escape(
            f"Arrêté du {signed_text} portant création de la spécialité « {family.pools.nouns[0]} » "
            f"du {label.lower()} et fixant ses modalités de délivrance"
        )
        jo = _fmt(when)
        out = []
        if rng.random() < 0.6:
            general = escape(
                f"Décret n° {signed.year}-{rng.randint(100, 1600)} du {signed_text} relatif aux "
                "conditions de délivrance des certifications professionnelles"
            )
            out.append(
                f"{_I2}<PUBLICATION_DECRET_GENERAL>\n{_I3}<PUBLICATION_JO>\n"
                f"{_I4}<TITRE>{general}</TITRE>\n{_I3}</PUBLICATION_JO>\n"
                f"{_I2}</PUBLICATION_DECRET_GENERAL>\n"
            )
        block = (
            f"{_I3}<PUBLICATION_JO>\n{_I4}<TITRE>{creation}</TITRE>\n"
            f"{_I4}<DATE_PUBLICATION_JO>{jo}</DATE_PUBLICATION_JO>\n{_I3}</PUBLICATION_JO>\n"
        )
        out.append(
            f"{_I2}<PUBLICATION_DECRET_CREATION>\n{block}{_I2}</PUBLICATION_DECRET_CREATION>\n"
        )
        if rng.random() < 0.7:
            out.append(
                f"{_I2}<PUBLICATION_DECRET_AUTRE>\n{block}{_I2}</PUBLICATION_DECRET_AUTRE>\n"
            )
        return "".join(out)

    def _statistics(self, first_year: int) -> str:
        """Renders one to three yearly promotion statistics."""
        rng = self.rng
        latest = max(first_year, self.today.year - 2)
        out = [f"{_I2}<STATISTIQUES_PROMOTIONS>\n"]
        for offset in range(rng.randint(1, 3)):
            certified = max(1, int(rng.lognormvariate(3.6, 1.2)))
            out.append(
                f"{_I3}<STATISTIQUES_PROMOTION>\n{_I4}<ANNEE>{latest - offset}</ANNEE>\n"
                f"{_I4}<NOMBRE_CERTIFIES>{certified}</NOMBRE_CERTIFIES>\n"
            )
            if rng.random() < 0.85:
                vae = rng.randint(0, max(0, certified // 4))
                out.append(f"{_I4}<NOMBRE_CERTIFIES_VAE>{vae}</NOMBRE_CERTIFIES_VAE>\n")
            if rng.random() < 0.7:
                rate = rng.randint(40, 100)
                out.append(
                    f"{_I4}<TAUX_INSERTION_GLOBAL_6MOIS>{rate}</TAUX_INSERTION_GLOBAL_6MOIS>\n"
                )
            if rng.random() < 0.4:
                rate = rng.randint(35, 100)
                out.append(
                    f"{_I4}<TAUX_INSERTION_METIER_2ANS>{rate}</TAUX_INSERTION_METIER_2ANS>\n"
                )
            out.append(f"{_I3}</STATISTIQUES_PROMOTION>\n")
        out.append(f"{_I2}</STATISTIQUES_PROMOTIONS>\n")
        return "".join(out)

    def _blocs(
        self, numero: str, bloc_lists: list[str], family: _Family, pools: _DomainPools
    ) -> str:
        """Renders the blocs of competences, coded <NUMERO_FICHE>BC01, BC02…"""
        rng = self.rng
        count = len(bloc_lists)
        general = family.abrege.code in ("CAP", "BAC PRO", "BP", "BTS", "BTSA", "BMA")
        titles = rng.sample(pools.bloc_titles, min(count, len(pools.bloc_titles)))
        if general and count >= 4:
            titles[-2:] = rng.sample(self.general_blocs, 2)
        out = [f"{_I2}<BLOCS_COMPETENCES>\n"]
        for position, (title, competences) in enumerate(
            zip(titles, bloc_lists, strict=True), 1
        ):
            modalites = self._list_text(
                self.modalites, self.modalite_mean, self._length(420, 0.9), 30, 2900
            )
            out.append(
                f"{_I3}<BLOC_COMPETENCES>\n{_I4}<CODE>{numero}BC{position:02d}</CODE>\n"
                f"{_I4}<LIBELLE>{title}</LIBELLE>\n"
                f"{_I4}<LISTE_COMPETENCES>{competences}</LISTE_COMPETENCES>\n"
                f"{_I4}<MODALITES_EVALUATION>{modalites}</MODALITES_EVALUATION>\n"
                f"{_I3}</BLOC_COMPETENCES>\n"
            )
        out.append(f"{_I2}</BLOCS_COMPETENCES>\n")
        return "".join(out)

    def _correspondances(
        self, versions: list[_Version], version: _Version, count: int
    ) -> str:
        """Renders bloc equivalences with the predecessor, and now and then with another fiche."""
        rng = self.rng
        targets: list[tuple[int, int]] = []
        if version.predecessor >= 0:
            old = versions[version.predecessor]
            if old.blocs and rng.random() < 0.6:
                targets.append((old.number, old.blocs))
        if self.recent and rng.random() < 0.04:
            targets.append(rng.choice(self.recent))
        if not targets:
            return ""
        out = [f"{_I2}<CORRESPONDANCES>\n"]
        for number, other_count in targets:
            destination = f"{_I5}<NUMERO_FICHE>RNCP{number}</NUMERO_FICHE>\n"
            if rng.random() < 0.15:
                out.append(
                    f"{_I3}<CORRESPONDANCE>\n{_I4}<DESTINATION>\n{destination}"
                    f"{_I4}</DESTINATION>\n{_I3}</CORRESPONDANCE>\n"
                )
            pairs = list(range(1, count + 1))
            rng.shuffle(pairs)
            for position in pairs:
                mapped = [min(position, other_count)]
                if mapped[0] < other_count and rng.random() < 0.1:
                    mapped.append(mapped[0] + 1)
                codes = "".join(
                    f"{_I5}<BLOC_COMPETENCES>\n{_I6}<CODE>RNCP{number}BC{m:02d}</CODE>\n"
                    f"{_I5}</BLOC_COMPETENCES>\n"
                    for m in mapped
                )
                out.append(
                    f"{_I3}<CORRESPONDANCE>\n{_I4}<SOURCE>\n{_I5}<BLOC_COMPETENCES>\n"
                    f"{_I6}<CODE>RNCP{version.number}BC{position:02d}</CODE>\n"
                    f"{_I5}</BLOC_COMPETENCES>\n{_I4}</SOURCE>\n{_I4}<DESTINATION>\n"
                    f"{destination}{codes}{_I4}</DESTINATION>\n"
                    f"{_I3}</CORRESPONDANCE>\n"
                )
        out.append(f"{_I2}</CORRESPONDANCES>\n")
        return "".join(out)

    # ----------------------------------------------------------------------------------------
    # Writing
    # ----------------------------------------------------------------------------------------

    def write(
        self, sink: IO[bytes], progress: Callable[[int], None] | None
    ) -> SyntheticExportStats:
        """Streams the whole export into `sink`, family by family, fiche by fiche."""
        written = blocs = partners = 0
        size = sink.write(_HEAD.encode())
        while written < self.fiches:
            versions = self._plan_versions()
            family = self._plan_family(versions)
            self._plan_dates(versions, family)
            for index, version in enumerate(versions):
                text, bloc_count, partner_count = self._render(versions, index, family)
                version.blocs = bloc_count  # successors map their blocs onto these
                size += sink.write(text.encode())
                written += 1
                blocs += bloc_count
                partners += partner_count
                if progress is not None and written % _PROGRESS_EVERY == 0:
                    progress(written)
        size += sink.write(_TAIL.encode())
        if progress is not None and (written == 0 or written % _PROGRESS_EVERY != 0):
            progress(written)
        return SyntheticExportStats(
            fiches=written, blocks=blocs, partners=partners, bytes_written=size
        )


def write_synthetic_export(
    path: Path,
    *,
    fiches: int = 25_638,
    seed: int = 20_260_816,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyntheticExportStats:
    """Writes a synthetic RNCP export (plain XML, or a zip of it when `path` ends in .zip).

    Raises
    ------
    ValueError
        If `fiches` is negative.
    """
    if fiches < 0:
        raise ValueError(f"fiches must be >= 0, got {fiches}")
    day = today or date.today()
    # Not for security: a seeded generator is what makes the benchmark data reproducible.
    generator = _Generator(random.Random(seed), day, fiches)  # noqa: S311
    if path.suffix.lower() != ".zip":
        with path.open("wb") as sink:
            return generator.write(sink, progress)
    # A fixed timestamp keeps the archive byte-identical from one run to the next.
    member = zipfile.ZipInfo(
        f"export_fiches_RNCP_V4_1_{day.isoformat()}.xml",
        date_time=(day.year, day.month, day.day, 0, 0, 0),
    )
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=True) as sink,
    ):
        return generator.write(sink, progress)
