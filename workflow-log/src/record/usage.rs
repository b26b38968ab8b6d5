//! Token counts and cost of LLM calls: the [`Usage`] value records carry and sum up.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Tokens an LLM call used, and what it cost.
///
/// Counts saturate instead of overflowing. A cost that is NaN, negative or infinite is unknown
/// (`None`), and unknown is not zero: a sum over usage of which some has a cost carries the sum
/// of the known costs.
///
/// In JSON, zero counts and an unknown cost are left out, and `total_tokens` (input + output) is
/// added:
///
/// ```
/// use workflow_log::Usage;
///
/// let usage = Usage::tokens(120, 30).cache_read(100).cost_usd(0.0006);
/// assert_eq!(usage.total_tokens(), 150);
/// assert_eq!(
///     serde_json::to_value(usage).unwrap(),
///     serde_json::json!({"input_tokens": 120, "output_tokens": 30, "cache_read_tokens": 100,
///                        "total_tokens": 150, "cost_usd": 0.0006}),
/// );
/// let back: Usage = serde_json::from_value(serde_json::to_value(usage).unwrap()).unwrap();
/// assert_eq!(back, usage);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// Tokens of the prompt (OpenAI's `prompt_tokens`, Anthropic's `input_tokens`).
    pub input_tokens: u64,
    /// Tokens of the response (OpenAI's `completion_tokens`, Anthropic's `output_tokens`).
    pub output_tokens: u64,
    /// Prompt tokens read from the provider's cache.
    pub cache_read_tokens: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write_tokens: u64,
    /// Tokens the model spent reasoning (part of the response for most providers).
    pub reasoning_tokens: u64,
    /// What the call cost in US dollars, where known.
    pub cost_usd: Option<f64>,
}

impl Usage {
    /// Usage of `input` prompt tokens and `output` response tokens.
    #[must_use]
    pub const fn tokens(input: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            cost_usd: None,
        }
    }

    /// Sets the prompt tokens read from the provider's cache.
    #[must_use]
    pub const fn cache_read(mut self, tokens: u64) -> Usage {
        self.cache_read_tokens = tokens;
        self
    }

    /// Sets the prompt tokens written to the provider's cache.
    #[must_use]
    pub const fn cache_write(mut self, tokens: u64) -> Usage {
        self.cache_write_tokens = tokens;
        self
    }

    /// Sets the tokens the model spent reasoning.
    #[must_use]
    pub const fn reasoning(mut self, tokens: u64) -> Usage {
        self.reasoning_tokens = tokens;
        self
    }

    /// Sets the cost in US dollars; NaN, negative and infinite costs leave it unknown.
    ///
    /// ```
    /// assert_eq!(workflow_log::Usage::default().cost_usd(f64::NAN).cost_usd, None);
    /// ```
    #[must_use]
    pub fn cost_usd(mut self, usd: f64) -> Usage {
        self.cost_usd = valid_cost(usd);
        self
    }

    /// Input plus output tokens (saturating).
    #[must_use]
    pub const fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Whether every count is zero and the cost unknown.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }

    /// Adds `other` to `self`: counts saturate, known costs add up.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(other.cache_read_tokens);
        self.cache_write_tokens = self
            .cache_write_tokens
            .saturating_add(other.cache_write_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(other.reasoning_tokens);
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (Some(a), Some(b)) => valid_cost(a + b),
            (a, b) => a.or(b),
        };
    }
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(mut self, other: Usage) -> Usage {
        Usage::add(&mut self, &other);
        self
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        Usage::add(self, &other);
    }
}

impl std::iter::Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |sum, usage| sum + usage)
    }
}

fn valid_cost(usd: f64) -> Option<f64> {
    (usd.is_finite() && usd >= 0.0).then_some(usd)
}

impl Serialize for Usage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, count) in [
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("cache_read_tokens", self.cache_read_tokens),
            ("cache_write_tokens", self.cache_write_tokens),
            ("reasoning_tokens", self.reasoning_tokens),
            ("total_tokens", self.total_tokens()),
        ] {
            if count != 0 {
                map.serialize_entry(key, &count)?;
            }
        }
        if let Some(cost) = self.cost_usd.and_then(valid_cost) {
            map.serialize_entry("cost_usd", &cost)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The JSON shape: every field optional, `total_tokens` and unknown keys ignored.
        #[derive(serde::Deserialize)]
        struct Shape {
            #[serde(default)]
            input_tokens: u64,
            #[serde(default)]
            output_tokens: u64,
            #[serde(default)]
            cache_read_tokens: u64,
            #[serde(default)]
            cache_write_tokens: u64,
            #[serde(default)]
            reasoning_tokens: u64,
            #[serde(default)]
            cost_usd: Option<f64>,
        }
        let shape = Shape::deserialize(deserializer)?;
        Ok(Usage {
            input_tokens: shape.input_tokens,
            output_tokens: shape.output_tokens,
            cache_read_tokens: shape.cache_read_tokens,
            cache_write_tokens: shape.cache_write_tokens,
            reasoning_tokens: shape.reasoning_tokens,
            cost_usd: shape.cost_usd.and_then(valid_cost),
        })
    }
}

/// The model and usage a provider's response carries, if `json` (an action's captured output)
/// is one: OpenAI's chat completions (`usage.prompt_tokens`, `completion_tokens`, their
/// `*_tokens_details`), OpenAI's responses or Anthropic's messages (`usage.input_tokens`,
/// `output_tokens`, `input_tokens_details` / `cache_read_input_tokens`,
/// `cache_creation_input_tokens`). Any other value gives `None` cheaply: without a `"usage"`
/// key in its text it is not parsed.
pub(crate) fn from_response(json: &str) -> Option<(Box<str>, Usage)> {
    if !json.contains("\"usage\"") || !json.contains("\"model\"") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Response {
        model: String,
        usage: Tokens,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Tokens {
        prompt_tokens: Option<u64>,
        completion_tokens: Option<u64>,
        input_tokens: Option<u64>,
        output_tokens: Option<u64>,
        prompt_tokens_details: Details,
        completion_tokens_details: Details,
        input_tokens_details: Details,
        output_tokens_details: Details,
        cache_read_input_tokens: Option<u64>,
        cache_creation_input_tokens: Option<u64>,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Details {
        cached_tokens: Option<u64>,
        reasoning_tokens: Option<u64>,
    }
    let response: Response = serde_json::from_str(json).ok()?;
    let t = response.usage;
    let input = t.prompt_tokens.or(t.input_tokens)?;
    let output = t.completion_tokens.or(t.output_tokens).unwrap_or(0);
    let cached = t
        .prompt_tokens_details
        .cached_tokens
        .or(t.input_tokens_details.cached_tokens)
        .or(t.cache_read_input_tokens)
        .unwrap_or(0);
    let reasoning = t
        .completion_tokens_details
        .reasoning_tokens
        .or(t.output_tokens_details.reasoning_tokens)
        .unwrap_or(0);
    let usage = Usage::tokens(input, output)
        .cache_read(cached)
        .cache_write(t.cache_creation_input_tokens.unwrap_or(0))
        .reasoning(reasoning);
    Some((response.model.into_boxed_str(), usage))
}

impl Usage {
    /// The cost at `input_usd_per_mtok` and `output_usd_per_mtok` dollars per million input and
    /// output tokens, where the usage came without one.
    #[must_use]
    pub(crate) fn priced(mut self, input_usd_per_mtok: f64, output_usd_per_mtok: f64) -> Usage {
        if self.cost_usd.is_none() {
            let cost = self.input_tokens as f64 * input_usd_per_mtok / 1e6
                + self.output_tokens as f64 * output_usd_per_mtok / 1e6;
            self.cost_usd = valid_cost(cost);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{from_response, Usage};

    #[test]
    fn provider_responses_give_model_and_usage() {
        let openai = r#"{"id":"c","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":120,
            "completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100},
            "completion_tokens_details":{"reasoning_tokens":7}}}"#;
        let (model, usage) = from_response(openai).unwrap();
        assert_eq!(&*model, "gpt-4o");
        assert_eq!(usage, Usage::tokens(120, 30).cache_read(100).reasoning(7));
        let anthropic = r#"{"model":"claude-sonnet-4","content":[],"usage":{"input_tokens":12,
            "output_tokens":5,"cache_read_input_tokens":3,"cache_creation_input_tokens":4}}"#;
        let (model, usage) = from_response(anthropic).unwrap();
        assert_eq!(&*model, "claude-sonnet-4");
        assert_eq!(usage, Usage::tokens(12, 5).cache_read(3).cache_write(4));
        assert!(from_response(r#"{"model":"m","usage":"lots"}"#).is_none());
        assert!(from_response(r#"{"answer":"the usage is high"}"#).is_none());
        assert!(from_response("[1, 2]").is_none());
    }

    #[test]
    fn a_price_fills_only_an_unknown_cost() {
        let usage = Usage::tokens(1_000_000, 500_000).priced(2.5, 10.0);
        assert_eq!(usage.cost_usd, Some(7.5));
        let known = Usage::tokens(1, 1).cost_usd(0.25).priced(2.5, 10.0);
        assert_eq!(known.cost_usd, Some(0.25));
        assert_eq!(Usage::tokens(1, 1).priced(f64::NAN, 1.0).cost_usd, None);
    }

    #[test]
    fn counts_saturate_and_unknown_cost_is_not_zero() {
        let mut sum = Usage::tokens(u64::MAX, 1);
        sum.add(&Usage::tokens(5, 2).cost_usd(0.5));
        assert_eq!(sum.input_tokens, u64::MAX);
        assert_eq!(sum.total_tokens(), u64::MAX);
        assert_eq!(sum.cost_usd, Some(0.5));
        assert_eq!(Usage::tokens(1, 1).cost_usd(-1.0).cost_usd, None);
        assert_eq!(Usage::tokens(1, 1).cost_usd(f64::INFINITY).cost_usd, None);
        let empty = serde_json::to_string(&Usage::default()).unwrap();
        assert_eq!(empty, "{}");
    }
}
