"""What invented demo clients and counselors say, per language: short, ordinary messages.

The bot's own replies are not here: the demo generator takes them from the real catalogs, so
the demo shows what the bot really says. Names are common in each language's culture; the
generator marks every contact detail as demo, so no name here stands for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# What a client writes, one line per intent, in this order in every language below.
CLIENT_INTENTS: tuple[str, ...] = (
    "greet", "appointment_query", "appointment_cancel", "appointment_confirm",
    "rights_income", "rights_childcare", "seek_work", "document_help", "ask_human", "thanks",
    "job_going_well", "urgent_help", "learn_dutch", "out_of_scope",
)


@dataclass(frozen=True, slots=True)
class DemoName:
    """A first name as the client typed it, and in Latin letters for a demo e-mail address."""

    shown: str
    latin: str


@dataclass(frozen=True, slots=True)
class Phrasebook:
    names: tuple[DemoName, ...]
    client: Mapping[str, str]  # intent → what the client writes
    counselor: tuple[str, ...]  # what a counselor writes to the client


def _names(spec: str) -> tuple[DemoName, ...]:
    """'Amina, يوسف=Youssef' → names; '=' gives the Latin spelling of a name in another script."""
    names = []
    for item in (part.strip() for part in spec.split(",")):
        shown, _, latin = item.partition("=")
        names.append(DemoName(shown, latin or shown))
    return tuple(names)


def _book(names: str, client: tuple[str, ...], counselor: tuple[str, ...]) -> Phrasebook:
    if len(client) != len(CLIENT_INTENTS):
        raise ValueError(f"{len(client)} client lines for {len(CLIENT_INTENTS)} intents")
    return Phrasebook(_names(names), dict(zip(CLIENT_INTENTS, client, strict=True)), counselor)


PHRASEBOOKS: Mapping[str, Phrasebook] = {
    "nl": _book(
        "Sanne, Nadia, Kevin, Ines, Bram, Jeroen, Soufiane, Grace",
        ("Hallo, goeiemorgen!", "Wanneer is mijn volgende afspraak?",
         "Ik kan morgen niet komen, mijn kind is ziek.", "Ik kom morgen naar de afspraak.",
         "Heb ik recht op een leefloon?", "Ik zoek een crèche voor mijn dochter.",
         "Ik zoek werk, in de schoonmaak of in een magazijn.",
         "Ik kreeg een brief en ik begrijp hem niet.", "Kan ik met mijn begeleider praten?",
         "Dank je wel!", "Het werk gaat goed, dank je.",
         "Ik heb vannacht geen plek om te slapen.", "Waar kan ik Nederlands leren?",
         "Dat papier van gisteren, wat moet ik daarmee?"),
        ("Dag, met je begeleider. Ik bel je morgenvoormiddag.",
         "Breng je identiteitskaart en de brief mee naar onze afspraak.",
         "Goed nieuws: er is een plaats in de cursus Nederlands. Bespreken we het maandag?")),
    "en": _book(
        "Grace, Joseph, Blessing, Samuel, Faith, Daniel, Precious, Emmanuel",
        ("Hello, good morning!", "When is my next appointment?",
         "I can't come tomorrow, my child is sick.", "I'll be there tomorrow.",
         "Do I have a right to a leefloon?", "I'm looking for a crèche for my daughter.",
         "I'm looking for work, cleaning or in a warehouse.",
         "I got a letter and I don't understand it.", "Can I talk to my counselor?",
         "Thank you very much!", "Work is going well, thanks.",
         "I have nowhere to sleep tonight.", "Where can I learn Dutch?",
         "That paper from yesterday, what do I do with it?"),
        ("Hello, this is your counselor. I will call you tomorrow morning.",
         "Please bring your ID card and the letter to our appointment.",
         "Good news: there is a place in the Dutch course. Shall we talk about it on Monday?")),
    "fr": _book(
        "Aminata, Moussa, Fatou, Jean-Pierre, Clarisse, Ibrahima, Chantal, Didier",
        ("Bonjour !", "Quand est mon prochain rendez-vous ?",
         "Je ne peux pas venir demain, mon enfant est malade.", "Je serai là demain.",
         "Est-ce que j'ai droit au revenu d'intégration (leefloon) ?",
         "Je cherche une crèche pour ma fille.",
         "Je cherche du travail, dans le nettoyage ou dans un entrepôt.",
         "J'ai reçu une lettre et je ne la comprends pas.",
         "Est-ce que je peux parler à mon accompagnateur ?", "Merci beaucoup !",
         "Le travail se passe bien, merci.", "Je n'ai nulle part où dormir ce soir.",
         "Où est-ce que je peux apprendre le néerlandais ?",
         "Le papier d'hier, je fais quoi avec ?"),
        ("Bonjour, c'est votre accompagnateur. Je vous appelle demain matin.",
         "Apportez votre carte d'identité et la lettre à notre rendez-vous.",
         "Bonne nouvelle : il y a une place au cours de néerlandais. On en parle lundi ?")),
    "ar": _book(
        "أمينة=Amina, محمد=Mohammed, فاطمة=Fatima, يوسف=Youssef, ليلى=Layla, عمر=Omar, "
        "نور=Nour, خالد=Khaled",
        ("مرحبا، صباح الخير!", "متى موعدي القادم؟", "لا أستطيع الحضور غدًا، طفلي مريض.",
         "سأحضر غدًا إلى الموعد.", "هل لي الحق في دخل المعيشة (leefloon)؟",
         "أبحث عن حضانة لابنتي.", "أبحث عن عمل في التنظيف أو في مستودع.",
         "وصلتني رسالة ولا أفهمها.", "هل يمكنني التحدث مع مرشدي؟", "شكرًا جزيلًا!",
         "العمل يسير بشكل جيد، شكرًا.", "ليس لدي مكان أنام فيه الليلة.",
         "أين يمكنني تعلم اللغة الهولندية؟", "الورقة التي من أمس، ماذا أفعل بها؟"),
        ("مرحبا، أنا مرشدك. سأتصل بك غدًا صباحًا.",
         "من فضلك أحضر بطاقة هويتك والرسالة إلى موعدنا.",
         "خبر سار: يوجد مكان في دورة اللغة الهولندية. هل نتحدث عن ذلك يوم الاثنين؟")),
    "tr": _book(
        "Ayşe=Ayse, Mehmet, Elif, Mustafa, Zeynep, Emre, Fatma, Burak",
        ("Merhaba, günaydın!", "Bir sonraki randevum ne zaman?",
         "Yarın gelemiyorum, çocuğum hasta.", "Yarın randevuya geleceğim.",
         "Sosyal yardım (leefloon) hakkım var mı?", "Kızım için bir kreş arıyorum.",
         "Temizlik ya da depo işi arıyorum.", "Bir mektup aldım ama anlamıyorum.",
         "Danışmanımla konuşabilir miyim?", "Çok teşekkür ederim!",
         "İş iyi gidiyor, teşekkürler.", "Bu gece kalacak yerim yok.",
         "Nerede Felemenkçe öğrenebilirim?", "Dünkü kâğıt, onunla ne yapmalıyım?"),
        ("Merhaba, ben danışmanınızım. Yarın sabah sizi arayacağım.",
         "Lütfen randevumuza kimlik kartınızı ve mektubu getirin.",
         "İyi haber: Felemenkçe kursunda yer var. Pazartesi konuşalım mı?")),
    "uk": _book(
        "Олена=Olena, Андрій=Andrii, Оксана=Oksana, Тарас=Taras, Ірина=Iryna, "
        "Дмитро=Dmytro, Світлана=Svitlana, Богдан=Bohdan",
        ("Привіт, доброго ранку!", "Коли моя наступна зустріч?",
         "Я не можу прийти завтра, моя дитина хворіє.", "Я прийду завтра на зустріч.",
         "Чи маю я право на прожитковий мінімум (leefloon)?",
         "Я шукаю ясла для моєї доньки.", "Я шукаю роботу: прибирання або склад.",
         "Я отримала лист і не розумію його.",
         "Чи можу я поговорити зі своїм консультантом?", "Дуже дякую!",
         "На роботі все добре, дякую.", "Мені нема де спати сьогодні вночі.",
         "Де я можу вивчати нідерландську?", "Той папірець з учора, що мені з ним робити?"),
        ("Добрий день, це ваш консультант. Я зателефоную вам завтра зранку.",
         "Будь ласка, візьміть на зустріч посвідчення особи та лист.",
         "Гарна новина: є місце на курсі нідерландської. Обговоримо в понеділок?")),
    "ru": _book(
        "Наталья=Natalia, Сергей=Sergei, Анна=Anna, Алексей=Aleksei, Мария=Maria, "
        "Иван=Ivan, Екатерина=Ekaterina, Артём=Artyom",
        ("Здравствуйте, доброе утро!", "Когда моя следующая встреча?",
         "Я не смогу прийти завтра, мой ребёнок болеет.", "Я приду завтра на встречу.",
         "Имею ли я право на пособие (leefloon)?", "Я ищу ясли для моей дочери.",
         "Я ищу работу: уборка или склад.", "Я получил письмо и не понимаю его.",
         "Можно поговорить с моим консультантом?", "Большое спасибо!",
         "На работе всё хорошо, спасибо.", "Мне негде ночевать сегодня.",
         "Где я могу учить нидерландский?", "Та бумажка со вчера, что с ней делать?"),
        ("Здравствуйте, это ваш консультант. Я позвоню вам завтра утром.",
         "Пожалуйста, возьмите на встречу удостоверение личности и письмо.",
         "Хорошая новость: есть место на курсе нидерландского. Обсудим в понедельник?")),
    "fa": _book(
        "زهرا=Zahra, احمد=Ahmad, مریم=Maryam, علی=Ali, فرشته=Fereshta, محمود=Mahmoud, "
        "سهیلا=Sohaila, رحیم=Rahim",
        ("سلام، صبح بخیر!", "قرار ملاقات بعدی من چه وقت است؟",
         "فردا نمی‌توانم بیایم، کودکم مریض است.", "فردا به ملاقات می‌آیم.",
         "آیا من حق دریافت کمک معیشتی (leefloon) را دارم؟", "برای دخترم دنبال مهدکودک هستم.",
         "دنبال کار هستم، نظافت یا در انبار.", "یک نامه گرفتم و آن را نمی‌فهمم.",
         "آیا می‌توانم با مشاورم صحبت کنم؟", "خیلی ممنون!", "کار خوب پیش می‌رود، ممنون.",
         "امشب جایی برای خوابیدن ندارم.", "کجا می‌توانم زبان هلندی یاد بگیرم؟",
         "آن کاغذ دیروز، با آن چه کار کنم؟"),
        ("سلام، من مشاور شما هستم. فردا صبح به شما زنگ می‌زنم.",
         "لطفاً کارت شناسایی و نامه را به ملاقات ما بیاورید.",
         "خبر خوب: در کورس زبان هلندی جا هست. روز دوشنبه درباره‌اش صحبت کنیم؟")),
    "ps": _book(
        "وحید=Wahid, ملاله=Malala, ذبیح الله=Zabihullah, شبنم=Shabnam, نجیب=Najib, "
        "پلوشه=Palwasha, ګلالۍ=Gulalai, اجمل=Ajmal",
        ("سلام، سهار مو پخير!", "زما بله ملاقات کله ده؟",
         "زه سبا نشم راتلای، زما ماشوم ناروغ دی.", "زه به سبا ملاقات ته راشم.",
         "ایا زه د ژوند لګښت مرستې (leefloon) حق لرم؟", "زه د خپلې لور لپاره وړکتون لټوم.",
         "زه کار لټوم، د پاکولو یا په ګودام کې.", "ما یو لیک ترلاسه کړی او نه پرې پوهېږم.",
         "ایا زه له خپل سلاکار سره خبرې کولی شم؟", "ډېره مننه!", "کار ښه روان دی، مننه.",
         "نن شپه د ویده کېدو ځای نه لرم.", "زه چېرته هالنډي ژبه زده کولی شم؟",
         "هغه د پرون کاغذ، زه ورسره څه وکړم؟"),
        ("سلام، زه ستاسو سلاکار یم. سبا سهار به تاسو ته زنګ ووهم.",
         "مهرباني وکړئ خپل د پېژندنې کارت او لیک ملاقات ته راوړئ.",
         "ښه خبر: د هالنډي ژبې په کورس کې ځای شته. ایا د دوشنبې په ورځ پرې خبرې وکړو؟")),
    "ti": _book(
        "ሳባ=Saba, ዳዊት=Dawit, ሄለን=Helen, ተስፋይ=Tesfay, ሰላም=Selam, ሚኪኤል=Mikiel, "
        "ኣብርሃም=Abraham, ፍረወይኒ=Freweini",
        ("ሰላም፣ ከመይ ሓዲርኩም!", "ዝቕጽል ቆጸራይ መዓስ እዩ?",
         "ጽባሕ ክመጽእ ኣይክእልን እየ፣ ውላደይ ሓሚሙ እዩ።", "ጽባሕ ናብቲ ቆጸራ ክመጽእ እየ።",
         "ናይ መነባብሮ ሓገዝ (leefloon) መሰል ኣሎኒ ድዩ?", "ንጓለይ መውዓሊ ህጻናት እደሊ ኣለኹ።",
         "ስራሕ እደሊ ኣለኹ፣ ናይ ጽሬት ወይ ኣብ መኽዘን።", "ደብዳቤ በጺሑኒ ግን ኣይተረድኣንን።",
         "ምስ ኣማኻሪየይ ክዛረብ ይኽእል ድየ?", "የቐንየለይ!", "ስራሕ ጽቡቕ ይኸይድ ኣሎ፣ የቐንየለይ።",
         "ሎሚ ለይቲ ዝድቅሰሉ ቦታ የብለይን።", "ቋንቋ ሆላንድ ኣበይ ክመሃር እኽእል?",
         "እቲ ናይ ትማሊ ወረቐት፣ እንታይ ክገብረሉ?"),
        ("ሰላም፣ ኣነ ኣማኻሪኹም እየ። ጽባሕ ንግሆ ክድውለልኩም እየ።",
         "በጃኹም መንነት ካርድኩምን እቲ ደብዳቤን ናብ ቆጸራና ኣምጽኡ።",
         "ጽቡቕ ዜና: ኣብ ኮርስ ቋንቋ ሆላንድ ቦታ ኣሎ። ሰኑይ ንዘራረበሉ?")),
    "so": _book(
        "Hodan, Abdi, Faadumo, Mahad, Sahra, Abdirahman, Ifrah, Guled",
        ("Salaan, subax wanaagsan!", "Goorma ayay tahay ballantayda xigta?",
         "Berri ma iman karo, ilmahaygu wuu xanuunsan yahay.", "Berri ballanta waan imanayaa.",
         "Ma xaq u leeyahay kaalmada nolosha (leefloon)?",
         "Waxaan u raadinayaa xanaano gabadhayda.",
         "Waxaan raadinayaa shaqo, nadiifin ama bakhaar.",
         "Waxaa ii yimid warqad aanan fahmin.", "Ma la hadli karaa lataliyahayga?",
         "Aad baad u mahadsan tahay!", "Shaqadu si fiican ayay u socotaa, mahadsanid.",
         "Caawa meel aan seexdo ma haysto.", "Xagee ayaan ka baran karaa luqadda Nederlandka?",
         "Warqaddii shalay, maxaan ku sameeyaa?"),
        ("Salaan, waa lataliyahaaga. Berri subax ayaan ku soo wacayaa.",
         "Fadlan ballanta u keen kaarka aqoonsiga iyo warqadda.",
         "War wanaagsan: boos ayaa ka bannaan koorsada luqadda Nederlandka. "
         "Ma ka wada hadalnaa Isniinta?")),
    "ro": _book(
        "Ioana, Andrei, Elena, Mihai, Maria, Florin, Gabriela, Ionuț=Ionut",
        ("Bună ziua!", "Când este următoarea mea programare?",
         "Nu pot veni mâine, copilul meu este bolnav.", "Vin mâine la programare.",
         "Am dreptul la venitul de integrare (leefloon)?", "Caut o creșă pentru fiica mea.",
         "Caut de lucru, la curățenie sau într-un depozit.",
         "Am primit o scrisoare și nu o înțeleg.", "Pot să vorbesc cu consilierul meu?",
         "Mulțumesc mult!", "La muncă merge bine, mulțumesc.",
         "Nu am unde să dorm în noaptea asta.", "Unde pot învăța olandeză?",
         "Hârtia de ieri, ce fac cu ea?"),
        ("Bună ziua, sunt consilierul dumneavoastră. Vă sun mâine dimineață.",
         "Vă rog să aduceți buletinul și scrisoarea la programare.",
         "Vești bune: este un loc liber la cursul de olandeză. Vorbim luni?")),
    "bg": _book(
        "Мария=Maria, Георги=Georgi, Елена=Elena, Иван=Ivan, Десислава=Desislava, "
        "Петър=Petar, Румяна=Rumyana, Стефан=Stefan",
        ("Здравейте, добро утро!", "Кога е следващата ми среща?",
         "Не мога да дойда утре, детето ми е болно.", "Ще дойда утре на срещата.",
         "Имам ли право на социална помощ (leefloon)?", "Търся ясла за дъщеря си.",
         "Търся работа – почистване или в склад.", "Получих писмо и не го разбирам.",
         "Мога ли да говоря с моя консултант?", "Много благодаря!",
         "Работата върви добре, благодаря.", "Нямам къде да спя тази нощ.",
         "Къде мога да уча нидерландски?", "Онази хартия от вчера, какво да правя с нея?"),
        ("Здравейте, аз съм вашият консултант. Ще ви се обадя утре сутринта.",
         "Моля, донесете личната си карта и писмото на срещата ни.",
         "Добра новина: има място в курса по нидерландски. Да поговорим ли в понеделник?")),
    "sk": _book(
        "Zuzana, Martin, Lucia, Peter, Jana, Tomáš=Tomas, Mária=Maria, Jozef",
        ("Dobrý deň!", "Kedy mám ďalšie stretnutie?",
         "Zajtra nemôžem prísť, moje dieťa je choré.", "Zajtra na stretnutie prídem.",
         "Mám nárok na životné minimum (leefloon)?", "Hľadám jasle pre moju dcéru.",
         "Hľadám prácu, upratovanie alebo sklad.", "Dostal som list a nerozumiem mu.",
         "Môžem sa porozprávať so svojím poradcom?", "Ďakujem veľmi pekne!",
         "V práci je všetko v poriadku, ďakujem.", "Dnes v noci nemám kde spať.",
         "Kde sa môžem učiť holandčinu?", "Ten papier zo včera, čo s ním mám robiť?"),
        ("Dobrý deň, tu je váš poradca. Zajtra ráno vám zavolám.",
         "Prosím, prineste na stretnutie občiansky preukaz a ten list.",
         "Dobrá správa: v kurze holandčiny je voľné miesto. Porozprávame sa o tom v pondelok?")),
    "pl": _book(
        "Agnieszka, Piotr, Katarzyna, Tomasz, Magda, Paweł=Pawel, Ewa, Marek",
        ("Dzień dobry!", "Kiedy jest moje następne spotkanie?",
         "Nie mogę jutro przyjść, moje dziecko jest chore.", "Jutro przyjdę na spotkanie.",
         "Czy mam prawo do zasiłku (leefloon)?", "Szukam żłobka dla mojej córki.",
         "Szukam pracy, przy sprzątaniu albo w magazynie.", "Dostałem list i go nie rozumiem.",
         "Czy mogę porozmawiać z moim doradcą?", "Bardzo dziękuję!",
         "W pracy wszystko dobrze, dziękuję.", "Nie mam gdzie spać dzisiaj w nocy.",
         "Gdzie mogę się uczyć niderlandzkiego?", "Ten papier z wczoraj, co mam z nim zrobić?"),
        ("Dzień dobry, tu Pani/Pana doradca. Zadzwonię jutro rano.",
         "Proszę przynieść na spotkanie dowód osobisty i ten list.",
         "Dobra wiadomość: jest miejsce na kursie niderlandzkiego. Porozmawiamy w poniedziałek?")),
    "es": _book(
        "Lucía=Lucia, Carlos, María=Maria, José=Jose, Valentina, Diego, Camila, Andrés=Andres",
        ("¡Hola, buenos días!", "¿Cuándo es mi próxima cita?",
         "Mañana no puedo ir, mi hijo está enfermo.", "Mañana voy a la cita.",
         "¿Tengo derecho al ingreso de integración (leefloon)?",
         "Busco una guardería para mi hija.", "Busco trabajo, de limpieza o en un almacén.",
         "Recibí una carta y no la entiendo.", "¿Puedo hablar con mi orientador?",
         "¡Muchas gracias!", "El trabajo va bien, gracias.", "No tengo dónde dormir esta noche.",
         "¿Dónde puedo aprender neerlandés?", "El papel de ayer, ¿qué hago con él?"),
        ("Hola, soy tu orientador. Te llamo mañana por la mañana.",
         "Por favor, trae tu documento de identidad y la carta a nuestra cita.",
         "Buenas noticias: hay una plaza en el curso de neerlandés. ¿Lo hablamos el lunes?")),
}

# counselors of the demo team: invented Flemish and newcomer names, marked "(demo)" when used
COUNSELOR_NAMES: tuple[str, ...] = (
    "Els Claes", "Tom Peeters", "Sarah Janssens", "Karim El Amrani", "Lies Maes",
    "Bart Wouters", "Hanne Mertens", "Yasmina Bouzid", "Pieter Jacobs", "Nele Willems",
    "Olga Kovalenko", "Mehmet Yilmaz", "Ann Dubois", "Jonas Goossens", "Fatima Ouali",
    "Wim De Smet", "Ioana Popescu", "Senait Tesfaye", "Tine Vermeulen", "Ahmad Rahimi",
)

EMPLOYERS: tuple[str, ...] = (
    "Demo Logistiek BV", "Voorbeeld Schoonmaak NV", "Demo Zorgcentrum", "Proefbakkerij Demo",
    "Demo Bouw & Renovatie", "Voorbeeld Catering", "Demo Distributiecentrum",
    "Demo Tuinaanleg", "Demo Opleidingscentrum",
)
