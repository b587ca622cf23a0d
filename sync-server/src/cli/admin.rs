//! The office's administration: `buqi user add`, `buqi community add`, `buqi assign`,
//! `buqi device enroll|revoke|list`.

use std::io::BufRead;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::Subcommand;
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;
use uuid::Uuid;

use super::{fail, runtime, DatabaseArg};
use crate::protocol::Role;
use crate::secret::{code_hash, hash_password, new_enroll_code};
use crate::store::{rfc3339, Community, Store};

/// The shortest password `buqi user add --password-stdin` takes.
const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Subcommand, Debug, Clone)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// The user's name, unique on this server (how `buqi assign` and `buqi device enroll`
        /// name them).
        name: String,
        /// admin, office, surveyor or participant.
        #[arg(long)]
        role: Role,
        /// The city the user works in.
        #[arg(long)]
        city: String,
        /// Read a password (at least 8 characters) from the first line of standard input; it is
        /// kept as an Argon2id hash.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum CommunityCommand {
    /// Add a community; prints its id.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        city: String,
        /// The community's id, when its survey already has one (otherwise a new UUIDv7).
        #[arg(long)]
        id: Option<Uuid>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// `buqi assign USER COMMUNITY`.
#[derive(clap::Args, Debug, Clone)]
pub struct AssignArgs {
    /// The user's name.
    pub user: String,
    /// The community's id, or its name if no other community has it.
    pub community: String,
    #[command(flatten)]
    pub db: DatabaseArg,
}

#[derive(Subcommand, Debug, Clone)]
pub enum DeviceCommand {
    /// Make a one-time enrollment code for one of the user's tablets; prints the code and a QR
    /// code for the app to scan.
    Enroll {
        /// The user the tablet will belong to.
        #[arg(long)]
        user: String,
        /// The server's address as tablets reach it (https://buqi.example.gov.cn), put in the QR
        /// code.
        #[arg(long)]
        server: Option<String>,
        /// How long the code stays valid, in hours.
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=24 * 30))]
        valid_hours: u32,
        /// Do not draw the QR code.
        #[arg(long)]
        no_qr: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Revoke a device: its token is refused from now on.
    Revoke {
        /// The device's id (`buqi device list` shows them).
        device: Uuid,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// List enrolled devices.
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// Opens the database and runs `f` on it; a store error fails the command.
fn with_store<F, Fut>(command: &str, db: &DatabaseArg, f: F) -> ExitCode
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(command, format!("cannot start: {e}")),
    };
    runtime.block_on(async {
        let store = match Store::open(&db.database).await {
            Ok(store) => store,
            Err(e) => return fail(command, e),
        };
        match f(store).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(command, message),
        }
    })
}

fn non_empty(what: &str, text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().any(char::is_control) {
        Err(format!(
            "the {what} must not be empty or hold control characters"
        ))
    } else {
        Ok(text.to_owned())
    }
}

pub fn user(command: UserCommand) -> ExitCode {
    let UserCommand::Add {
        name,
        role,
        city,
        password_stdin,
        db,
    } = command;
    let checked = non_empty("name", &name).and_then(|name| Ok((name, non_empty("city", &city)?)));
    let (name, city) = match checked {
        Ok(checked) => checked,
        Err(message) => return fail("user add", message),
    };
    let password_hash = if password_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
            return fail("user add", format!("cannot read the password: {e}"));
        }
        let password = line.trim_end_matches(['\n', '\r']);
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return fail(
                "user add",
                format!("the password must have at least {MIN_PASSWORD_CHARS} characters"),
            );
        }
        match hash_password(password) {
            Ok(hash) => Some(hash),
            Err(message) => return fail("user add", message),
        }
    } else {
        None
    };
    with_store("user add", &db, |store| async move {
        let user = store
            .add_user(&name, role, &city, password_hash, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "added user {} ({}, {}), id {}",
            user.name, user.role, user.city, user.id
        );
        Ok(())
    })
}

pub fn community(command: CommunityCommand) -> ExitCode {
    let CommunityCommand::Add { name, city, id, db } = command;
    let checked = non_empty("name", &name).and_then(|name| Ok((name, non_empty("city", &city)?)));
    let (name, city) = match checked {
        Ok(checked) => checked,
        Err(message) => return fail("community add", message),
    };
    let community = Community {
        id: id.unwrap_or_else(Uuid::now_v7),
        name,
        city,
    };
    with_store("community add", &db, |store| async move {
        store
            .add_community(community.clone(), Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "added community {} ({}), id {}",
            community.name, community.city, community.id
        );
        Ok(())
    })
}

pub fn assign(args: AssignArgs) -> ExitCode {
    let AssignArgs {
        user,
        community,
        db,
    } = args;
    with_store("assign", &db, |store| async move {
        let (user, community) = store
            .assign(&user, &community, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "assigned community {} ({}) to {}: their devices may push and pull it",
            community.name, community.id, user.name
        );
        Ok(())
    })
}

/// `buqi unassign USER COMMUNITY`.
pub fn unassign(args: AssignArgs) -> ExitCode {
    let AssignArgs {
        user,
        community,
        db,
    } = args;
    with_store("unassign", &db, |store| async move {
        let (user, community) = store
            .unassign(&user, &community, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "community {} ({}) is no longer assigned to {}: their devices stop syncing it and remove it once all their work in it is on the server",
            community.name, community.id, user.name
        );
        Ok(())
    })
}

pub fn device(command: DeviceCommand) -> ExitCode {
    match command {
        DeviceCommand::Enroll {
            user,
            server,
            valid_hours,
            no_qr,
            db,
        } => with_store("device enroll", &db, |store| async move {
            let code = new_enroll_code().map_err(|e| e.to_string())?;
            let now = Utc::now();
            let expires = now + Duration::hours(i64::from(valid_hours));
            let user = store
                .add_enroll_code(&user, &code_hash(&code), expires, now)
                .await
                .map_err(|e| e.to_string())?;
            let payload = qr_payload(server.as_deref(), &code);
            println!(
                "enrollment code for {} ({}, {})",
                user.name, user.role, user.city
            );
            println!("code:    {code}");
            println!("expires: {} (single use)", rfc3339(&expires));
            println!("payload: {payload}");
            if !no_qr {
                match QrCode::new(payload.as_bytes()) {
                    Ok(qr) => println!(
                        "{}",
                        qr.render::<Dense1x2>()
                            .dark_color(Dense1x2::Light)
                            .light_color(Dense1x2::Dark)
                            .build()
                    ),
                    Err(e) => eprintln!("buqi device enroll: cannot draw the QR code: {e}"),
                }
            }
            if server.is_none() {
                println!("(pass --server URL to put the server's address in the QR code)");
            }
            println!("Scan the QR code in the buqi app, or type the code. It is shown only now.");
            Ok(())
        }),
        DeviceCommand::Revoke { device, db } => {
            with_store("device revoke", &db, |store| async move {
                let device = store
                    .revoke_device(device, Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
                let at = device.revoked_at.as_ref().map(rfc3339).unwrap_or_default();
                println!(
                    "revoked device {} ({}, of {}) at {at}: its token is refused from now on",
                    device.id, device.name, device.user
                );
                Ok(())
            })
        }
        DeviceCommand::List { user, db } => with_store("device list", &db, |store| async move {
            let devices = store
                .devices(user.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            for d in devices {
                let state = match &d.revoked_at {
                    Some(at) => format!("revoked {}", rfc3339(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\tenrolled {}\t{state}",
                    d.id,
                    d.user,
                    d.name,
                    rfc3339(&d.enrolled_at)
                );
            }
            Ok(())
        }),
    }
}

/// What the enrollment QR code holds: `{"server": …, "code": …}` (no server if none was given).
pub fn qr_payload(server: Option<&str>, code: &str) -> String {
    let mut payload = serde_json::Map::new();
    if let Some(server) = server {
        payload.insert("server".into(), server.into());
    }
    payload.insert("code".into(), code.into());
    serde_json::Value::Object(payload).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_payload_is_json_with_server_and_code() {
        let payload = qr_payload(Some("https://buqi.wuhan.example"), "7K2M-Q9XD-0000-1111");
        let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(value["server"], "https://buqi.wuhan.example");
        assert_eq!(value["code"], "7K2M-Q9XD-0000-1111");
        assert_eq!(qr_payload(None, "X"), r#"{"code":"X"}"#);
    }
}
