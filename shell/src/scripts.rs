//! The `-c` commands and `-f` files of the command line, in the order given.

/// A `-c` command or a `-f` file.
pub enum Script {
    Command(String),
    File(String),
}

/// clap keeps `-c` and `-f` values apart; their argument positions restore the order.
pub fn scripts_in_order(matches: &clap::ArgMatches) -> Vec<Script> {
    let mut ordered: Vec<(usize, Script)> = Vec::new();
    for (id, make) in [
        ("commands", Script::Command as fn(String) -> Script),
        ("files", Script::File),
    ] {
        if let (Some(indices), Some(values)) =
            (matches.indices_of(id), matches.get_many::<String>(id))
        {
            ordered.extend(indices.zip(values).map(|(i, v)| (i, make(v.clone()))));
        }
    }
    ordered.sort_by_key(|(i, _)| *i);
    ordered.into_iter().map(|(_, s)| s).collect()
}
