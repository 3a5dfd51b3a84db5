//! The recommender's signals from other domains' events, and consent withdrawal.
