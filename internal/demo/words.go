package demo

// Word lists for the generated rows. Text is deliberately international:
// accents, CJK, Hangul and 4-byte emoji (🚀 🎉) in names, notes and file
// names, so that every text path of the migration sees utf8mb4 for real.

// name is a display name with the ASCII form used in e-mail addresses.
type name struct{ text, ascii string }

var firstNames = []name{
	{"Anna", "anna"}, {"José", "jose"}, {"Zoë", "zoe"}, {"Søren", "soren"}, {"Łukasz", "lukasz"},
	{"Émilie", "emilie"}, {"Jürgen", "juergen"}, {"Chloé", "chloe"}, {"Mateo", "mateo"},
	{"Olivia", "olivia"}, {"Noah", "noah"}, {"Liam", "liam"}, {"Emma", "emma"}, {"Hiroshi", "hiroshi"},
	{"Yuki", "yuki"}, {"Wei", "wei"}, {"Mei", "mei"}, {"Priya", "priya"}, {"Arjun", "arjun"},
	{"Fatima", "fatima"}, {"Omar", "omar"}, {"Ingrid", "ingrid"}, {"Björn", "bjoern"},
	{"Siobhán", "siobhan"}, {"Dmitri", "dmitri"}, {"Ngozi", "ngozi"}, {"Kwame", "kwame"},
	{"Lucía", "lucia"}, {"François", "francois"}, {"太郎", "taro"}, {"美咲", "misaki"},
	{"伟", "wei"}, {"지민", "jimin"}, {"Ryan", "ryan"}, {"Sarah", "sarah"}, {"Ali", "ali"},
}

var lastNames = []name{
	{"Müller", "mueller"}, {"García", "garcia"}, {"Smith", "smith"}, {"Nowak", "nowak"},
	{"Dubois", "dubois"}, {"Rossi", "rossi"}, {"Jensen", "jensen"}, {"Østergaard", "ostergaard"},
	{"O'Brien", "obrien"}, {"van der Berg", "vanderberg"}, {"Kowalczyk", "kowalczyk"},
	{"Nguyễn", "nguyen"}, {"Kim", "kim"}, {"Tanaka", "tanaka"}, {"佐藤", "sato"}, {"李", "li"},
	{"王", "wang"}, {"Silva", "silva"}, {"Johansson", "johansson"}, {"Schäfer", "schaefer"},
	{"Popescu", "popescu"}, {"Yılmaz", "yilmaz"}, {"Ivanova", "ivanova"}, {"Papadopoulos", "papadopoulos"},
	{"Singh", "singh"}, {"Okafor", "okafor"}, {"Brown", "brown"}, {"Lefèvre", "lefevre"}, {"박", "park"},
}

// companyStems carry the ASCII slug used in web sites and e-mail domains.
var companyStems = []name{
	{"Nordlicht", "nordlicht"}, {"Müller & Söhne", "mueller-soehne"}, {"Café Olé", "cafe-ole"},
	{"Blue Harbor", "blueharbor"}, {"Ørsted Vind", "orsted-vind"}, {"São Paulo Logística", "sp-logistica"},
	{"Złote Runo", "zloteruno"}, {"Kaffeehaus Wien", "kaffeehaus"}, {"東京トレーディング", "tokyo-trading"},
	{"北京星辰科技", "xingchen"}, {"서울 소프트", "seoulsoft"}, {"Crème de la Code", "cremedelacode"},
	{"Fjäll Data", "fjalldata"}, {"Acme Rockets 🚀", "acmerockets"}, {"Party Supplies 🎉", "partysupplies"},
	{"Green Leaf", "greenleaf"}, {"Atlas", "atlas"}, {"Vertex", "vertex"}, {"Quantum", "quantum"},
	{"Pinnacle", "pinnacle"}, {"Harbor & Hill", "harborhill"}, {"El Niño Foods", "elninofoods"},
	{"Ängelholm Bygg", "angelholmbygg"}, {"Łódź Metal", "lodzmetal"}, {"Riverside", "riverside"},
	{"Kōbe Steelworks", "kobesteel"}, {"Żabka Retail", "zabkaretail"}, {"Česká Strojírna", "ceskastroj"},
	{"Brightside", "brightside"}, {"Summit", "summit"}, {"Δέλτα Ναυτιλιακή", "deltanav"},
}

var companySuffixes = []string{
	"GmbH", "AG", "Ltd", "Inc.", "LLC", "SARL", "S.A.", "S.p.A.", "BV", "AB", "Oy", "A/S",
	"Sp. z o.o.", "株式会社", "有限公司", "Pty Ltd", "",
}

// country is an ISO code with its phone prefix.
type country struct{ code, phone string }

var countries = []country{
	{"DE", "+49"}, {"DE", "+49"}, {"FR", "+33"}, {"GB", "+44"}, {"US", "+1"}, {"US", "+1"},
	{"ES", "+34"}, {"IT", "+39"}, {"NL", "+31"}, {"SE", "+46"}, {"DK", "+45"}, {"PL", "+48"},
	{"JP", "+81"}, {"CN", "+86"}, {"BR", "+55"}, {"CH", "+41"}, {"AT", "+43"}, {"KR", "+82"},
}

var industries = []string{"software", "manufacturing", "retail", "healthcare", "finance", "education", "logistics", "hospitality", "other"}

var companyLabels = []string{"vip", "partner", "reseller", "churn-risk", "enterprise", "public-sector"}

var crmSources = []string{"hubspot", "salesforce", "csv-import", "web-signup", "pipedrive", "manual"}

var streets = []string{"Hauptstraße 5", "Rue de Rivoli 12", "1 Market St", "Calle Mayor 7", "銀座1-2-3", "Königsallee 92a", "Via Roma 10", "Storgatan 3", "ul. Piotrkowska 80"}

var cities = []string{"München", "Paris", "San Francisco", "Madrid", "東京", "Düsseldorf", "Milano", "Göteborg", "Łódź", "Zürich", "São Paulo", "서울"}

var jobTitles = []string{"CEO", "CFO", "Head of Finance", "Einkaufsleiter", "Directrice commerciale", "購買部長", "Office Manager", "IT Administrator", "Buchhaltung", "Procurement Lead", "Founder 🚀"}

var locales = []string{"en_US", "en_GB", "de_DE", "de_AT", "fr_FR", "es_ES", "ja_JP", "zh_CN", "pl_PL", "sv_SE", "pt_BR", "ko_KR"}

var notes = []string{
	"Prefers e-mail over phone 📧", "Met at the trade fair in Köln", "VIP — handle with care ⭐",
	"Kunde seit 2015, sehr zufrieden", "Très bon contact 👍", "日本語での対応を希望",
	"Call back after the 🎉 launch", "Needs invoices as PDF/A", "Rückruf erbeten",
	"Cliente importante 🚀", "Zahlungsziel 30 Tage", "偏好微信联系", "Ne pas appeler le vendredi",
	"Line one\nline two\ttabbed", "Quote: \"as soon as possible\" — 'urgent'", "😀😃😄😁 emoji only",
}

var dealTitles = []string{
	"Annual licence renewal", "Onboarding package 🚀", "Expansion to 50 seats", "Pilot project",
	"Support upgrade", "Data migration", "Q3 campaign 🎉", "Jahresvertrag Wartung",
	"Renouvellement contrat", "年間保守契約", "Consulting retainer", "Hardware refresh", "Training days",
}

var dealStages = []string{"lead", "qualified", "proposal", "negotiation", "won", "lost"}

// product is an invoice line template; services bill time.
type product struct {
	description string
	unit        string
	service     bool
	minCents    int64
	maxCents    int64
}

var products = []product{
	{"Professional licence (annual)", "pcs", false, 9900, 499900},
	{"Consulting hours", "h", true, 8000, 25000},
	{"Implementation — phase 1", "day", true, 60000, 180000},
	{"Support premium 🚀", "month", false, 4900, 99900},
	{"Schulung vor Ort", "day", true, 90000, 250000},
	{"Frais de déplacement", "km", false, 30, 90},
	{"Hosting (monthly)", "month", false, 1900, 49900},
	{"Custom integration 🎉", "h", true, 9000, 20000},
	{"年間ライセンス", "pcs", false, 50000, 900000},
	{"数据迁移服务", "h", true, 7000, 15000},
	{"Café & catering ☕", "pcs", false, 350, 2500},
	{`Hardware: Laptop 14"`, "pcs", false, 89900, 249900},
	{"Übersetzung DE→EN", "h", true, 4500, 9500},
	{"Nachtzuschlag 🌙", "h", true, 2000, 6000},
}

// taxRates in basis points (1900 = 19.00%).
var taxRates = []int64{1900, 1900, 700, 2000, 2100, 2500, 1000, 800, 0}

var paymentMethods = []string{"card", "bank_transfer", "sepa_debit", "paypal", "cash", "check"}

var invoiceNotes = []string{"Thank you for your business! 🎉", "Zahlbar innerhalb von 14 Tagen ohne Abzug.", "Merci pour votre confiance.", "お支払いは月末までにお願いいたします。", "Reverse charge: VAT to be accounted for by the recipient."}

// document kinds: mime type, file name pattern and the magic bytes real
// files of that type start with.
type docKind struct {
	mime    string
	pattern string
	magic   string
	text    bool
}

var docKinds = []docKind{
	{"application/pdf", "Angebot_%s_%d.pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", false},
	{"application/pdf", "Rechnung 🚀 Q%[2]d %[1]s.pdf", "%PDF-1.4\n", false},
	{"application/pdf", "契約書_%s_%d.pdf", "%PDF-1.6\n", false},
	{"image/png", "logo_%s_%d.png", "\x89PNG\r\n\x1a\n", false},
	{"image/jpeg", "IMG_%[2]d_%[1]s.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", false},
	{"text/csv", "export_%s_%d.csv", "id;name;amount;note\n", true},
	{"text/plain", "notes-%s-%d 🎉.txt", "", true},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Vertrag_%s_%d.docx", "PK\x03\x04", false},
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"LegacyCRM-Sync/2.3 (+https://example.com/bot)",
	"okhttp/4.12.0",
}

// activityKinds: the entity types an activity is about, with their actions
// and how often they occur (out of 100).
type activityKind struct {
	entity  string
	weight  int
	actions []string
}

var activityKinds = []activityKind{
	{"company", 15, []string{"created", "updated", "viewed", "merged"}},
	{"contact", 20, []string{"created", "updated", "emailed", "viewed"}},
	{"deal", 15, []string{"created", "stage_changed", "won", "lost"}},
	{"invoice", 30, []string{"created", "sent", "viewed", "reminded", "paid"}},
	{"payment", 10, []string{"recorded", "refunded"}},
	{"document", 10, []string{"uploaded", "downloaded", "shared"}},
}

var activityClients = []string{"web", "ios", "android", "api", "import"}
