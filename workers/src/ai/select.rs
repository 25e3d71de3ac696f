//! How `auto` tells prompts for the cloud provider from prompts for the local one.

use super::config::SelectionConfig;

/// Words that mark a request for reasoning rather than a quick answer.
const REASONING_WORDS: &[&str] = &[
    "analy",
    "compar",
    "explain why",
    "design",
    "architect",
    "optimi",
    "refactor",
    "prove",
    "derive",
    "step by step",
    "step-by-step",
    "trade-off",
    "tradeoff",
    "evaluate",
    "strateg",
    "debug",
    "algorithm",
    "implement",
    "in detail",
    "pros and cons",
    "critique",
    "summari",
];

/// Signs of code in a prompt.
const CODE_MARKS: &[&str] = &[
    "```",
    "fn ",
    "def ",
    "class ",
    "function ",
    "#include",
    "=>",
    "};",
];

/// How complex a prompt looks, from 0 (a quick question) to 1, rounded to two decimals:
/// its length relative to `long_query_chars` (up to 0.4), code in it (0.25), words that
/// ask for reasoning (0.15 each, up to 0.45), several questions or many lines (0.1) and a
/// large `max_tokens` (0.1 from 1500 on).
pub fn complexity_score(text: &str, max_tokens: Option<u32>, config: &SelectionConfig) -> f64 {
    let lower = text.to_lowercase();
    let chars = text.chars().count() as f64;
    let long = config.long_query_chars.max(1) as f64;
    let mut score = (chars / long).min(1.0) * 0.4;
    if CODE_MARKS.iter().any(|m| lower.contains(m)) {
        score += 0.25;
    }
    let words = REASONING_WORDS
        .iter()
        .filter(|w| lower.contains(*w))
        .count();
    score += (words as f64 * 0.15).min(0.45);
    if text.matches('?').count() >= 2 || text.lines().filter(|l| !l.trim().is_empty()).count() >= 5
    {
        score += 0.1;
    }
    if max_tokens.is_some_and(|n| n >= 1500) {
        score += 0.1;
    }
    (score.min(1.0) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_questions_score_low_and_reasoning_scores_high() {
        let config = SelectionConfig::default();
        let quick = complexity_score("What is the capital of France?", None, &config);
        assert!(quick < 0.1, "{quick}");
        let hard = complexity_score(
            "Design an architecture for a payment system, compare the trade-offs and explain why step by step.",
            None,
            &config,
        );
        assert!(hard >= config.complexity_threshold, "{hard}");
        let code = complexity_score("Refactor this:\n```rust\nfn main() {}\n```", None, &config);
        assert!(code >= 0.4, "{code}");
        assert!(complexity_score(&"x".repeat(5000), Some(4000), &config) <= 1.0);
    }
}
