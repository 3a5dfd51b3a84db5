//! `lifeos user ...`, `lifeos api-key ...`, `lifeos invite ...`: the operator's account
//! tools, so one person and their voice assistant need no curl dance.

/// `lifeos user create|list`.
pub async fn user(_args: Vec<String>) -> Result<(), String> {
    Err("not built yet".into())
}

/// `lifeos api-key create|list|revoke`.
pub async fn api_key(_args: Vec<String>) -> Result<(), String> {
    Err("not built yet".into())
}

/// `lifeos invite create`.
pub async fn invite(_args: Vec<String>) -> Result<(), String> {
    Err("not built yet".into())
}
