# Models with an input schema (format version 2): string categories,
# missing inputs, preprocessing inside the model file. Expected answers are
# scikit-learn's predict_proba on the same rows (models/make_examples.py
# builds the pipelines): HistGradientBoosting bit for bit, logistic
# regression to 14 digits.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /churn {
        mlpredict $TEST_NGINX_MODELS/churn.mlp;
    }

    location = /churn_hgb {
        mlpredict $TEST_NGINX_MODELS/churn_hgb.mlp;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: a named row with strings and a null, through imputer, scaler and one-hot encoder
--- request
POST /churn
{"age": 37, "income": null, "tenure": 4, "support_calls": 2, "plan": "premium", "region": "north", "contract": "monthly"}
--- error_code: 200
--- response_body_like chomp
^\{"prediction":"no","probabilities":\{"no":0\.75375768588101\d*,"yes":0\.24624231411898\d*\}\}$
--- no_error_log
[error]



=== TEST 2: native categories in HistGradientBoosting, bit for bit
--- request
POST /churn_hgb
{"age": 37, "income": null, "tenure": 4, "support_calls": 2, "plan": "premium", "region": "north", "contract": "monthly"}
--- response_body
{"prediction":"no","probabilities":{"no":0.5865489587833382,"yes":0.41345104121666176}}



=== TEST 3: an unseen category and an input left out are what the pipeline makes of them
--- request
POST /churn_hgb
{"instances": [{"age": 61.5, "income": 52000, "tenure": 30, "support_calls": 0, "plan": "gold", "contract": "yearly"}, [37, null, 4, 2, "premium", "north", "monthly"]]}
--- response_body
{"predictions":[{"prediction":"no","probabilities":{"no":0.9939923565530825,"yes":0.006007643446917498}},{"prediction":"no","probabilities":{"no":0.5865489587833382,"yes":0.41345104121666176}}]}



=== TEST 4: categories are matched exactly: "Premium" is not "premium"
--- request eval
["POST /churn_hgb\n" . '{"age": 37, "income": null, "tenure": 4, "support_calls": 2, "plan": "Premium", "region": "north", "contract": "monthly"}',
 "POST /churn_hgb\n" . '{"age": 37, "income": null, "tenure": 4, "support_calls": 2, "plan": " premium", "region": "north", "contract": "monthly"}']
--- response_body_like eval
[qr/^\{"prediction":"no","probabilities":\{"no":0\.(?!5865489587833382)\d+/,
 qr/^\{"prediction":"no","probabilities":\{"no":0\.(?!5865489587833382)\d+/]



=== TEST 5: a number for a category input, a string for a number input
--- request eval
["POST /churn\n" . '{"age": 37, "income": 1, "tenure": 4, "support_calls": 2, "plan": 3, "region": "north", "contract": "monthly"}',
 "POST /churn\n" . '{"age": "37", "income": 1, "tenure": 4, "support_calls": 2, "plan": "basic", "region": "north", "contract": "monthly"}',
 "POST /churn\n" . '{"features": [37, 1, 4, 2, "basic", "north", true]}']
--- error_code eval
[400, 400, 400]
--- response_body eval
["{\"error\":\"feature \\\"plan\\\" must be a string (one of its categories), not a number\"}\n",
 "{\"error\":\"feature \\\"age\\\" must be a number, not a string\"}\n",
 "{\"error\":\"feature \\\"contract\\\" must be a string (one of its categories), not a boolean\"}\n"]
--- no_error_log
[error]



=== TEST 6: an unknown input name, a row of the wrong length
--- request eval
["POST /churn\n" . '{"age": 37, "plan_premium": 1}',
 "POST /churn\n" . '{"features": [37, 1, 4, 2, "basic", "north"]}']
--- error_code eval
[400, 400]
--- response_body eval
["{\"error\":\"unknown feature \\\"plan_premium\\\"\"}\n",
 "{\"error\":\"\\\"features\\\": 6 values, the model takes 7\"}\n"]



=== TEST 7: the metadata shows the inputs, their kinds and categories, and the steps
--- request
GET /churn
--- response_body_like chomp
"format_version":2,.*"n_inputs":7,"inputs":\[\{"name":"age","type":"number","missing":true\},.*\{"name":"contract","type":"category","missing":true,"unknown":"encoded","categories":\["unknown","monthly","yearly"\]\}\],"steps":\[\{"step":"impute","columns_in":4,"columns_out":4\},\{"step":"affine","columns_in":4,"columns_out":4\},\{"step":"impute","columns_in":3,"columns_out":3\},\{"step":"encode","columns_in":3,"columns_out":12\}\]
