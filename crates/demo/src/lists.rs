//! Word lists the demo draws from. Names reflect the children of modern
//! England (ONS baby-name tables plus the Welsh, Scottish, Irish, South
//! Asian, Polish, Nigerian, Somali, Caribbean and Chinese names common in
//! English schools), so screens, search and sorting meet realistic text,
//! including apostrophes, hyphens and accents.

/// Given names for girls.
#[rustfmt::skip]
pub const GIRLS: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie", "Sophia",
    "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella", "Evelyn", "Phoebe", "Sofia",
    "Evie", "Charlotte", "Harper", "Millie", "Matilda", "Maya", "Sophie", "Alice", "Emilia", "Isabelle",
    "Ruby", "Luna", "Maisie", "Aria", "Penelope", "Mila", "Bonnie", "Eva", "Hallie", "Eliza", "Ada", "Violet",
    "Esme", "Arabella", "Imogen", "Jessica", "Delilah", "Layla", "Chloe", "Aurora", "Hannah", "Lucy", "Katie",
    "Abigail", "Beatrice", "Martha", "Edith", "Nancy", "Zoë", "Erin", "Holly", "Summer", "Jasmine", "Leah",
    "Nevaeh", "Niamh", "Aoife", "Siobhan", "Ciara", "Orla", "Eilidh", "Skye", "Catriona", "Rhiannon", "Seren",
    "Ffion", "Cerys", "Siân", "Nia", "Amara", "Zara", "Aaliyah", "Maryam", "Fatima", "Aisha", "Khadija",
    "Hafsa", "Inaaya", "Anaya", "Priya", "Simran", "Jasleen", "Harleen", "Aditi", "Diya", "Zuzanna", "Julia",
    "Maja", "Zofia", "Oliwia", "Aleksandra", "Chiamaka", "Adaeze", "Ifeoma", "Temitope", "Folake", "Hodan",
    "Sagal", "Nimco", "Hibo", "Keisha", "Shanice", "Tia", "Jada", "Mei", "Xin Yi", "Jiayi", "Amira", "Noor",
];

/// Given names for boys.
#[rustfmt::skip]
pub const BOYS: &[&str] = &[
    "Noah", "Oliver", "Theo", "George", "Leo", "Arthur", "Muhammad", "Oscar", "Harry", "Archie", "Jack",
    "Henry", "Charlie", "Freddie", "Alfie", "Thomas", "Finley", "Isaac", "Jacob", "Lucas", "Teddy", "Tommy",
    "Albie", "Edward", "Reuben", "Hugo", "Jude", "Arlo", "Rory", "Max", "William", "James", "Joshua", "Ethan",
    "Samuel", "Daniel", "Benjamin", "Joseph", "Alexander", "Dylan", "Harrison", "Mason", "Logan", "Riley",
    "Kai", "Caleb", "Elijah", "Toby", "Louis", "Frankie", "Stanley", "Ezra", "Felix", "Sebastian", "Jenson",
    "Reggie", "Ronnie", "Bobby", "Callum", "Jamie", "Connor", "Ryan", "Liam", "Cian", "Oisín", "Seán",
    "Darragh", "Ewan", "Fraser", "Angus", "Lewis", "Hamish", "Rhys", "Dafydd", "Owain", "Gethin", "Iwan",
    "Ibrahim", "Yusuf", "Ayaan", "Zayn", "Hamza", "Adam", "Omar", "Ali", "Musa", "Idris", "Arjun", "Rohan",
    "Aarav", "Vihaan", "Harjit", "Jaskaran", "Dev", "Krish", "Kacper", "Jakub", "Szymon", "Filip", "Antoni",
    "Mikołaj", "Chidi", "Chukwuemeka", "Tobenna", "Oluwaseun", "Tunde", "Emeka", "Kayode", "Abdirahman",
    "Abdullahi", "Mohamed", "Liban", "Hassan", "Tyrell", "Jayden", "Marcus", "Malachi", "Kofi", "Andre",
    "Wei", "Jun", "Hao",
];

/// Given names for parents and carers (a generation older than the children).
#[rustfmt::skip]
pub const WOMEN: &[&str] = &[
    "Sarah", "Emma", "Claire", "Gemma", "Laura", "Rebecca", "Hayley", "Kirsty", "Nicola", "Stacey", "Joanne",
    "Rachel", "Louise", "Helen", "Kerry", "Lisa", "Amy", "Charlotte", "Danielle", "Jennifer", "Bethan",
    "Catrin", "Fiona", "Mhairi", "Aoife", "Sinéad", "Priya", "Nazia", "Shabana", "Rukhsana", "Harpreet",
    "Manpreet", "Fatima", "Agnieszka", "Katarzyna", "Magdalena", "Ngozi", "Funmilayo", "Chioma", "Hodan",
    "Faadumo", "Marcia", "Sharon", "Jacqueline", "Yan", "Li Na", "Susan", "Karen", "Elaine", "Denise",
];

/// Given names for parents and carers (a generation older than the children).
#[rustfmt::skip]
pub const MEN: &[&str] = &[
    "David", "Paul", "Mark", "Andrew", "Richard", "Daniel", "Christopher", "Matthew", "Lee", "Craig",
    "Darren", "Wayne", "Stuart", "Gareth", "Rhodri", "Iain", "Alasdair", "Ciarán", "Declan", "Sean", "Imran",
    "Tariq", "Asif", "Rajesh", "Sandeep", "Gurpreet", "Mohammed", "Tomasz", "Piotr", "Marcin", "Chinedu",
    "Olumide", "Babatunde", "Abdi", "Ahmed", "Delroy", "Winston", "Leon", "Wei", "Jian", "Michael", "Stephen",
    "Peter", "John", "Kevin", "Neil", "Robert", "Graham", "Gary", "Ian",
];

/// Family names.
#[rustfmt::skip]
pub const FAMILY_NAMES: &[&str] = &[
    // Common in England.
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris",
    "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips",
    "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook",
    "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Miller", "Cox", "Richards", "Marshall",
    "Anderson", "Simpson", "Ellis", "Adams", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
    "Gray", "Mason", "Hunt", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd",
    "Butler", "Russell", "Fisher", "Jenkins", "Dixon", "Harvey", "Hughes-Williams",
    // Welsh, Scottish and Irish.
    "Pritchard", "Bowen", "Llewellyn", "Vaughan", "Rees", "MacDonald", "Fraser", "Stewart", "McKenzie",
    "Robertson", "Sinclair", "O'Brien", "O'Connor", "Byrne", "Doyle", "McCarthy", "Gallagher", "Murphy",
    // South Asian.
    "Patel", "Khan", "Singh", "Begum", "Ali", "Hussain", "Ahmed", "Sharma", "Kaur", "Rahman", "Chowdhury",
    "Iqbal", "Mistry", "Akhtar", "Sandhu", "Mahmood",
    // Polish and other European.
    "Nowak", "Kowalczyk", "Wójcik", "Mazur", "Silva", "Popescu", "Yılmaz",
    // Nigerian and Somali.
    "Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Adebayo", "Abdi", "Farah", "Mohamud", "Warsame",
    // Caribbean.
    "Campbell", "Francis", "Forbes", "Grant", "Gayle", "Brathwaite", "Reid",
    // Chinese and Vietnamese.
    "Chen", "Wang", "Zhang", "Wong", "Cheung", "Nguyen",
];

/// Short forms some children go by.
#[rustfmt::skip]
pub const NICKNAMES: &[(&str, &str)] = &[
    ("Alexander", "Alex"), ("Benjamin", "Ben"), ("Charlotte", "Lottie"), ("Daniel", "Dan"), ("Edward", "Ted"),
    ("Elizabeth", "Beth"), ("Florence", "Flo"), ("Frederick", "Fred"), ("Isabella", "Bella"),
    ("Isabelle", "Izzy"), ("James", "Jim"), ("Jessica", "Jess"), ("Joseph", "Joe"), ("Joshua", "Josh"),
    ("Matilda", "Tilly"), ("Muhammad", "Mo"), ("Nathaniel", "Nate"), ("Oliver", "Ollie"),
    ("Penelope", "Penny"), ("Samuel", "Sam"), ("Sebastian", "Seb"), ("Thomas", "Tom"), ("William", "Will"),
    ("Abigail", "Abi"), ("Katie", "Kate"), ("Chukwuemeka", "Emeka"), ("Oluwaseun", "Seun"),
    ("Aleksandra", "Ola"), ("Catriona", "Cat"), ("Mikołaj", "Mikey"),
];

/// The first part of a street name.
#[rustfmt::skip]
pub const STREETS: &[&str] = &[
    "Orchard", "Mill", "Church", "Station", "Victoria", "Meadow", "Park", "Queen's", "King's", "Oak", "Elm",
    "Beech", "Willow", "Chestnut", "Ash", "Cedar", "Holly", "Hawthorn", "Rowan", "Birch", "Manor",
    "Springfield", "Brook", "Riverside", "Windmill", "Castle", "Bridge", "Market", "Chapel", "School",
    "Vicarage", "Rectory", "Highfield", "Greenway", "Westfield", "Northfield", "Albert", "Alexandra",
    "Stanley", "Grange", "Hillside", "Fairview", "Badger", "Foxglove", "Kingfisher", "Heron", "Larkspur",
    "Sycamore", "Laburnum", "Wyvern", "Coronation", "Jubilee", "St John's", "St Mary's", "Abbey", "Priory",
];

/// The second part of a street name.
#[rustfmt::skip]
pub const STREET_SUFFIXES: &[&str] = &[
    "Road", "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens", "Court",
    "Grove", "Place", "View", "Rise", "Terrace", "Walk", "Mews",
];

/// Postcode districts of the (fictional) area.
#[rustfmt::skip]
pub const OUTWARD_CODES: &[&str] = &[
    "BS1", "BS2", "BS3", "BS4", "BS5", "BS6", "BS7", "BS8", "BS9", "BS10", "BS11", "BS12", "BS13", "BS14",
    "BS15", "BS16", "BA1", "BA2", "GL12", "SN14",
];

/// The letters a postcode's inward code may end with.
pub const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Fictional places in Wyvern Vale, for school names.
#[rustfmt::skip]
pub const PLACES: &[&str] = &[
    "Ashcombe", "Barrowfield", "Brackenhurst", "Castlemead", "Chalkwell", "Cherrybrook", "Coldharbour",
    "Coombe Hill", "Deerhurst", "Dunsmore", "Elmridge", "Fennbury", "Foxcote", "Glebelands", "Greystoke",
    "Hartcliffe Vale", "Hazelmere", "Highcroft", "Hollybush", "Kestrel Down", "Kingsmead", "Lambridge",
    "Larkhill", "Longmoor", "Lydmarsh", "Marlwood", "Meadowbank", "Millbrook", "Moorfields", "Newbridge",
    "Northwick", "Oakhurst", "Old Sarum Green", "Pennwood", "Quarry Hill", "Ravenswood", "Redland Park",
    "Rosehill", "Saltford Vale", "Sandpits", "Severnside", "Shepton Rise", "Southmead Park", "Stonebridge",
    "Stowey", "Thornbury Heath", "Timsbury", "Upper Wyvern", "Vale Park", "Westcombe", "Whitchurch Green",
    "Willowbrook", "Windmill Hill", "Winterbourne Down", "Woodlands", "Wyvern Cross", "Yatton Moor",
    "Abbotswood", "Brislington Vale", "Clevedon Heights",
];

/// Saints for church school names.
#[rustfmt::skip]
pub const SAINTS: &[&str] = &[
    "Mary", "John", "Peter", "Paul", "Michael", "Andrew", "Anne", "Joseph", "Mark", "Luke", "Stephen", "Bede",
    "Aldhelm", "Werburgh", "Chad", "Nicholas", "Francis", "Bernadette", "Teresa", "George", "David",
    "Patrick",
];

/// Providers that families buy support from with their personal budgets.
#[rustfmt::skip]
pub const PROVIDERS: &[&str] = &[
    "Wyvern Vale Short Breaks Service", "Little Acorns Short Breaks CIC", "Brightpath PA Agency Ltd",
    "Steady Hands Personal Assistants", "Wyvern Speech and Language Therapy CIC",
    "Riverside Occupational Therapy CIC", "Oakfield Play and Music Therapy",
    "Harbour House Overnight Respite", "Level Ground Inclusive Sports Club", "Kestrel Supported Internships",
    "Moorland Sensory Adventures CIC", "Tandem Independent Travel Training",
];

/// Folds a name into the letters and digits of an email address
/// (`Oisín` → `oisin`, `O'Brien` → `obrien`, `Xin Yi` → `xinyi`).
pub fn email_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_email_part(&mut out, name);
    out
}

/// `email_part`, appended to `out` (saves allocations when building
/// a million addresses).
pub fn push_email_part(out: &mut String, name: &str) {
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ł' => 'l',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            'ć' => 'c',
            'ń' => 'n',
            c if c.is_ascii_alphanumeric() => c,
            _ => continue,
        };
        out.push(folded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_name_lists_are_long_enough_and_have_no_repeats() {
        for (list, at_least) in [(GIRLS, 120), (BOYS, 120), (FAMILY_NAMES, 150), (WOMEN, 50), (MEN, 50)] {
            assert!(list.len() >= at_least, "{} < {at_least}: {list:?}", list.len());
            let distinct: HashSet<_> = list.iter().collect();
            assert_eq!(distinct.len(), list.len(), "a name is repeated in {list:?}");
            for name in list {
                assert!(allot_domain::Name::parse(name).is_ok(), "{name}");
                assert!(!email_part(name).is_empty() && email_part(name).is_ascii(), "{name}");
            }
        }
    }

    #[test]
    fn email_parts_fold_accents_and_drop_punctuation() {
        assert_eq!(email_part("Oisín"), "oisin");
        assert_eq!(email_part("O'Brien"), "obrien");
        assert_eq!(email_part("Hughes-Williams"), "hugheswilliams");
        assert_eq!(email_part("Mikołaj"), "mikolaj");
        assert_eq!(email_part("Yılmaz"), "yilmaz");
        assert_eq!(email_part("Xin Yi"), "xinyi");
    }
}
