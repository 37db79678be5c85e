//! In-memory storage of users, invitations and LTI credentials, and the
//! deterministic seed data.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::encoding::{format_rfc3339, splitmix64};

/// Organization that every stored object belongs to (the example id of the
/// OpenAPI contract).
pub(super) const ORGANIZATION_ID: &str = "5832c801a4bedc05f4fb4993";

/// Admin account that owns the token: `invitedBy` of invitations and
/// `creator` of LTI credentials.
pub(super) const ADMIN_ID: &str = "5832bf149995c4024bd6de7d";

/// `LmsName` values of the contract, in its order.
pub(super) const LMS_NAMES: [&str; 8] = [
    "canvas",
    "moodle",
    "schoology",
    "blackboard",
    "desire2learn",
    "sakai",
    "schoolbox",
    "other",
];

/// `LicenseSources` values of the contract, in its order.
const LICENSE_SOURCES: [&str; 8] = [
    "order",
    "trial",
    "voucher",
    "distributor",
    "subscription",
    "appStore",
    "playStore",
    "musicfirst",
];

const FIRST_NAMES: [&str; 12] = [
    "Ada",
    "Béla",
    "Clara",
    "Dmitri",
    "Elena",
    "Fanny",
    "Gustav",
    "Hildegard",
    "Igor",
    "Johann",
    "Kaija",
    "Ludwig",
];

const LAST_NAMES: [&str; 11] = [
    "Lovelace",
    "Bartók",
    "Schumann",
    "Shostakovich",
    "Kats-Chernin",
    "Mendelssohn",
    "Mahler",
    "von Bingen",
    "Stravinsky",
    "Bach",
    "Saariaho",
];

/// Number of distinct group ids that seeded users are spread over.
pub(super) const SEED_GROUP_COUNT: u64 = 10;

/// 2024-09-01T00:00:00Z in milliseconds: the base of every seeded date.
const SEED_EPOCH_MILLIS: u64 = 1_725_148_800_000;

/// Returns the id of seeded group `index` (0-based, below
/// [`SEED_GROUP_COUNT`]): `5e10` followed by the index as 20 hex digits.
pub(super) fn seed_group_id(index: u64) -> String {
    format!("5e10{index:020x}")
}

/// Secondary data kept next to a stored object so that list filters do
/// not have to walk its JSON. It is rebuilt after every change.
pub(super) trait Index {
    /// Builds the index of one stored object.
    fn build(json: &Value) -> Self;
}

impl Index for () {
    fn build(_json: &Value) -> Self {}
}

/// Filter data of a user.
pub(super) struct UserIndex {
    /// `organizationRole`, or empty when absent.
    pub(super) role: String,
    /// `groups`.
    pub(super) groups: Vec<String>,
    /// Lowercased username, firstname, lastname and email, for `q`.
    pub(super) search_fields: Vec<String>,
}

impl Index for UserIndex {
    fn build(json: &Value) -> Self {
        let text = |field: &str| json.get(field).and_then(Value::as_str).unwrap_or("");
        let groups = json
            .get("groups")
            .and_then(Value::as_array)
            .map(|groups| {
                groups
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        UserIndex {
            role: text("organizationRole").to_owned(),
            groups,
            search_fields: ["username", "firstname", "lastname", "email"]
                .iter()
                .map(|field| text(field).to_lowercase())
                .filter(|value| !value.is_empty())
                .collect(),
        }
    }
}

/// Filter data of an invitation.
pub(super) struct InvitationIndex {
    /// `organizationRole`, or empty when absent.
    pub(super) role: String,
}

impl Index for InvitationIndex {
    fn build(json: &Value) -> Self {
        InvitationIndex {
            role: json
                .get("organizationRole")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        }
    }
}

/// One stored object.
pub(super) struct Entry<I> {
    /// Insertion sequence number: unique, increasing, never reused. Cursors
    /// carry it, so they stay valid when other entries are removed.
    pub(super) seq: u64,
    /// JSON as the API returns it.
    pub(super) json: Value,
    /// `json` serialized, so that a page of a list costs a copy per entry
    /// instead of a serialization.
    pub(super) serialized: Vec<u8>,
    /// Filter data derived from `json`.
    pub(super) index: I,
}

/// Objects in creation order, addressable by id.
pub(super) struct Collection<I> {
    entries: Vec<Entry<I>>,
    seq_by_id: HashMap<String, u64>,
    next_seq: u64,
}

impl<I: Index> Collection<I> {
    fn new() -> Self {
        Collection {
            entries: Vec::new(),
            seq_by_id: HashMap::new(),
            next_seq: 0,
        }
    }

    /// Entries sorted by `seq`, which is creation order.
    pub(super) fn entries(&self) -> &[Entry<I>] {
        &self.entries
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Sequence number the next insert will get. Cursors above it were
    /// never issued by this collection.
    pub(super) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub(super) fn insert(&mut self, id: String, json: Value) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_by_id.insert(id, seq);
        let index = I::build(&json);
        let serialized = serialize(&json);
        self.entries.push(Entry {
            seq,
            json,
            serialized,
            index,
        });
    }

    fn position(&self, id: &str) -> Option<usize> {
        let seq = *self.seq_by_id.get(id)?;
        self.entries
            .binary_search_by_key(&seq, |entry| entry.seq)
            .ok()
    }

    pub(super) fn get(&self, id: &str) -> Option<&Entry<I>> {
        self.position(id).map(|position| &self.entries[position])
    }

    /// Applies `change` to the JSON of `id` and rebuilds its index. Returns
    /// `None` when `id` is unknown.
    pub(super) fn update<T>(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Value) -> T,
    ) -> Option<T> {
        let position = self.position(id)?;
        let entry = &mut self.entries[position];
        let result = change(&mut entry.json);
        entry.index = I::build(&entry.json);
        entry.serialized = serialize(&entry.json);
        Some(result)
    }

    pub(super) fn remove(&mut self, id: &str) -> Option<Entry<I>> {
        let position = self.position(id)?;
        self.seq_by_id.remove(id);
        Some(self.entries.remove(position))
    }
}

/// Serializes a stored object. Serializing a `Value` cannot fail: its map
/// keys are strings and its numbers are finite.
fn serialize(json: &Value) -> Vec<u8> {
    serde_json::to_vec(json).unwrap_or_default()
}

/// Everything the fake server stores.
pub(super) struct Store {
    pub(super) users: Collection<UserIndex>,
    pub(super) invitations: Collection<InvitationIndex>,
    pub(super) credentials: Collection<()>,
    /// Lowercased usernames, because usernames are unique regardless of case.
    usernames: HashSet<String>,
    id_counter: u64,
    seeded_users: u64,
    seeded_invitations: u64,
    seeded_credentials: u64,
}

impl Store {
    pub(super) fn new() -> Self {
        Store {
            users: Collection::new(),
            invitations: Collection::new(),
            credentials: Collection::new(),
            usernames: HashSet::new(),
            id_counter: 0,
            seeded_users: 0,
            seeded_invitations: 0,
            seeded_credentials: 0,
        }
    }

    /// Returns a new 24-character lowercase hex id, shaped like a MongoDB
    /// ObjectId. Ids depend only on how many were made before.
    pub(super) fn new_id(&mut self) -> String {
        self.id_counter += 1;
        format!("65f0a1b2{:016x}", splitmix64(self.id_counter))
    }

    /// Returns a deterministic value for seeding and generated secrets.
    fn next_random(&mut self) -> u64 {
        self.id_counter += 1;
        splitmix64(self.id_counter ^ 0x5EED_0000_0000_0000)
    }

    pub(super) fn username_taken(&self, username: &str) -> bool {
        self.usernames.contains(&username.to_lowercase())
    }

    /// Stores a user whose JSON has a `username` and an `id`.
    pub(super) fn insert_user(&mut self, id: String, json: Value) {
        if let Some(username) = json.get("username").and_then(Value::as_str) {
            self.usernames.insert(username.to_lowercase());
        }
        self.users.insert(id, json);
    }

    /// Replaces a user's username in the uniqueness set.
    pub(super) fn rename_user(&mut self, old: &str, new: &str) {
        self.usernames.remove(&old.to_lowercase());
        self.usernames.insert(new.to_lowercase());
    }

    pub(super) fn remove_user(&mut self, id: &str) -> bool {
        let Some(entry) = self.users.remove(id) else {
            return false;
        };
        if let Some(username) = entry.json.get("username").and_then(Value::as_str) {
            self.usernames.remove(&username.to_lowercase());
        }
        true
    }

    /// Returns a code of 8 characters from an alphabet without look-alike
    /// characters, for invitations.
    pub(super) fn new_invitation_code(&mut self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut bits = self.next_random();
        let mut code = String::with_capacity(8);
        for _ in 0..8 {
            code.push(char::from(ALPHABET[(bits & 31) as usize]));
            bits >>= 5;
        }
        code
    }

    /// Returns an uppercase UUID-shaped OAuth 1 consumer key.
    pub(super) fn new_consumer_key(&mut self) -> String {
        let high = self.next_random();
        let low = self.next_random();
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        )
    }

    /// Returns a 32-character uppercase hex OAuth 1 consumer secret.
    pub(super) fn new_consumer_secret(&mut self) -> String {
        let high = self.next_random();
        let low = self.next_random();
        format!("{high:016X}{low:016X}")
    }

    /// Appends `count` users numbered after the ones seeded before.
    ///
    /// User `k` (1-based over the server's lifetime) is `user{k:05}`. Roles:
    /// `accountAdmin` when k is a multiple of 97, else `admin` for multiples
    /// of 20, else `teacher` for multiples of 5, else `user`. User 7 has the
    /// role `billing`, which the contract does not list, and an undeclared
    /// `futureField`. Users whose k is a multiple of 100 have
    /// `picture: null`, multiples of 13 have no `lastActivityDate`, and
    /// multiples of 4 have a `license`. A user is in group `k % 10`, also in
    /// group `(k / 3) % 10` when k is a multiple of 3, and in no group when
    /// k is a multiple of 11.
    pub(super) fn seed_users(&mut self, count: usize) {
        for _ in 0..count {
            self.seeded_users += 1;
            let number = self.seeded_users;
            let id = self.new_id();
            let json = self.seeded_user(number, &id);
            self.insert_user(id, json);
        }
    }

    fn seeded_user(&mut self, number: u64, id: &str) -> Value {
        let username = format!("user{number:05}");
        let firstname = FIRST_NAMES[(number % FIRST_NAMES.len() as u64) as usize];
        let lastname = LAST_NAMES[(number * 7 % LAST_NAMES.len() as u64) as usize];
        let role = match number {
            7 => "billing",
            n if n.is_multiple_of(97) => "accountAdmin",
            n if n.is_multiple_of(20) => "admin",
            n if n.is_multiple_of(5) => "teacher",
            _ => "user",
        };

        let mut groups = Vec::new();
        if !number.is_multiple_of(11) {
            groups.push(seed_group_id(number % SEED_GROUP_COUNT));
            let second = seed_group_id(number / 3 % SEED_GROUP_COUNT);
            if number.is_multiple_of(3) && !groups.contains(&second) {
                groups.push(second);
            }
        }

        let picture = if number.is_multiple_of(100) {
            Value::Null
        } else {
            Value::String(format!("https://avatars.flat.example/{id}.png"))
        };

        let mut user = json!({
            "id": id,
            "type": "user",
            "product": "flatEdu",
            "username": username,
            "printableName": format!("{firstname} {lastname}"),
            "firstname": firstname,
            "lastname": lastname,
            "email": format!("{username}@school.example"),
            "picture": picture,
            "organization": ORGANIZATION_ID,
            "organizationRole": role,
            "groups": groups,
            "badges": [],
        });
        let Some(object) = user.as_object_mut() else {
            return user;
        };

        // Optional fields, present on some users only.
        if !number.is_multiple_of(13) {
            let last_activity = SEED_EPOCH_MILLIS + number * 3_607_000;
            object.insert(
                "lastActivityDate".into(),
                format_rfc3339(last_activity).into(),
            );
        }
        if number.is_multiple_of(4) {
            let license_id = self.new_id();
            object.insert(
                "license".into(),
                json!({
                    "id": license_id,
                    "expirationDate": format_rfc3339(SEED_EPOCH_MILLIS + 31_536_000_000 + number * 60_000),
                    "source": LICENSE_SOURCES[(number / 4 % LICENSE_SOURCES.len() as u64) as usize],
                    "mode": if number.is_multiple_of(8) { "credit" } else { "site" },
                    "active": !number.is_multiple_of(12),
                }),
            );
        }
        if role == "user" {
            object.insert(
                "isEduTestingStudent".into(),
                number.is_multiple_of(37).into(),
            );
        }
        if number == 7 {
            object.insert("futureField".into(), json!({ "nested": true }));
        }
        user
    }

    /// Appends `count` invitations numbered after the ones seeded before.
    ///
    /// Invitation `k` (1-based) has the role `teacher` when k is odd and
    /// `admin` when even, `customCode: null` when k is a multiple of 3, and
    /// invitation 2 has an undeclared `futureField`.
    pub(super) fn seed_invitations(&mut self, count: usize) {
        for _ in 0..count {
            self.seeded_invitations += 1;
            let number = self.seeded_invitations;
            let id = self.new_id();
            let role = if number % 2 == 1 { "teacher" } else { "admin" };
            let code = if number.is_multiple_of(3) {
                None
            } else {
                Some(self.new_invitation_code())
            };
            let creation = format_rfc3339(SEED_EPOCH_MILLIS + number * 60_000);
            let mut invitation = invitation_json(
                &id,
                role,
                code.as_deref(),
                Some(&format!("invitee{number:05}@school.example")),
                &creation,
            );
            if number == 2
                && let Some(object) = invitation.as_object_mut()
            {
                object.insert("futureField".into(), json!({ "nested": true }));
            }
            self.invitations.insert(id, invitation);
        }
    }

    /// Appends `count` LTI credentials numbered after the ones seeded
    /// before, cycling through [`LMS_NAMES`]. Even-numbered ones have a
    /// `lastUsage`.
    pub(super) fn seed_credentials(&mut self, count: usize) {
        for _ in 0..count {
            self.seeded_credentials += 1;
            let number = self.seeded_credentials;
            let lms = LMS_NAMES[((number - 1) % LMS_NAMES.len() as u64) as usize];
            let id = self.new_id();
            let creation = format_rfc3339(SEED_EPOCH_MILLIS + number * 3_600_000);
            let mut credentials = self.credentials_json(
                &id,
                &format!("Seeded {lms} credentials {number}"),
                lms,
                &creation,
            );
            if number.is_multiple_of(2)
                && let Some(object) = credentials.as_object_mut()
            {
                let last_usage = SEED_EPOCH_MILLIS + number * 3_600_000 + 86_400_000;
                object.insert("lastUsage".into(), format_rfc3339(last_usage).into());
            }
            self.credentials.insert(id, credentials);
        }
    }

    /// Builds an `LtiCredentials` object with fresh key and secret.
    pub(super) fn credentials_json(
        &mut self,
        id: &str,
        name: &str,
        lms: &str,
        creation_date: &str,
    ) -> Value {
        json!({
            "id": id,
            "name": name,
            "lms": lms,
            "organization": ORGANIZATION_ID,
            "creator": ADMIN_ID,
            "creationDate": creation_date,
            "consumerKey": self.new_consumer_key(),
            "consumerSecret": self.new_consumer_secret(),
            "enableEmailMatching": true,
        })
    }
}

/// Builds an `OrganizationInvitation` object. The enrollment URL uses the
/// id when the invitation has no custom code.
pub(super) fn invitation_json(
    id: &str,
    role: &str,
    custom_code: Option<&str>,
    email: Option<&str>,
    creation_date: &str,
) -> Value {
    let enroll_code = custom_code.unwrap_or(id);
    let mut invitation = json!({
        "id": id,
        "organization": ORGANIZATION_ID,
        "organizationRole": role,
        "customCode": custom_code,
        "htmlUrl": format!("https://flat.io/organization/enroll?enrollcode={enroll_code}"),
        "invitedBy": ADMIN_ID,
        "allowMultipleUse": false,
        "creationDate": creation_date,
        "usedBy": [],
    });
    if let (Some(email), Some(object)) = (email, invitation.as_object_mut()) {
        object.insert("email".into(), email.into());
    }
    invitation
}
