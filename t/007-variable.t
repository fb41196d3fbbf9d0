# mlpredict_score: a prediction as an nginx variable. Expected values are
# `mlpredict predict` on the same row as JSON (the variable holds the
# probability exactly as the JSON answer writes it). The counter of
# computations is the debug line "mlpredict: scored $var".

use Test::Nginx::Socket 'no_plan';

# limit_req keeps state between requests: each request once
repeat_each(1);
no_shuffle();

our $HttpConfig = <<'_EOC_';
    map $http_user_agent $ua_family {
        default       other;
        ~*curl        curl;
        ~*python      python;
        ~*bot         crawler;
        ~Mozilla      browser;
    }

    map $http_referer $has_referer {
        ""            0;
        default       1;
    }

    mlpredict_score $TEST_NGINX_MODELS/bot.mlp $bot_score {
        input  request_length  $arg_len;
        input  session_age     $cookie_session_age;
        input  pages           $cookie_pages;
        input  rate            $http_x_request_rate;
        input  mouse_moves     $arg_mm;
        input  time_on_page    $arg_t;
        input  has_referer     $has_referer;
        input  ua_family       $ua_family;
        input  method          $request_method;
        input  http_version    $server_protocol;
        class  bot;
        label  $bot_label;
    }

    map $bot_label $verdict {
        bot           deny;
        human         allow;
        default       unscored;
    }

    map $bot_score $risk {
        ~^0\.9        high;
        ""            unknown;
        default       low;
    }

    limit_req_zone $bot_label zone=bots:1m rate=1r/m;

    log_format  scored  '$request_uri label=$bot_label score=$bot_score';
_EOC_

our $Config = <<'_EOC_';
    location = /score {
        return 200 "$bot_score $bot_label\n";
    }

    location = /thrice {
        return 200 "$bot_score $bot_label $bot_score $bot_score\n";
    }

    location = /none {
        return 200 "never read\n";
    }

    location = /guard {
        if ($bot_label = bot) {
            return 403;
        }

        return 200 "ok\n";
    }

    location = /map {
        return 200 "$verdict $risk\n";
    }

    location = /header {
        add_header X-Bot-Score $bot_score;
        add_header X-Bot-Label $bot_label;
        return 200 "ok\n";
    }

    location = /limited {
        limit_req zone=bots;
    }

    location = /log {
        access_log logs/access.log scored;
        return 200 "ok\n";
    }

    location = /redirect {
        set $before $bot_score;
        rewrite ^ /after last;
    }

    location = /after {
        return 200 "$before $bot_label\n";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }

    if (!defined $block->config) {
        $block->set_value("config", $Config);
    }
});

our $Bot = "User-Agent: curl/8.0\nX-Request-Rate: 80";
our $BotArgs = "len=180&mm=0&t=0.5";
our $Human = "User-Agent: Mozilla/5.0\nX-Request-Rate: 3\n"
    . "Referer: http://example.com/\nCookie: session_age=1200; pages=6";
our $HumanArgs = "len=640&mm=40&t=30";

# breast_cancer's first row, for the SVM below: 30 inputs from arguments
our @BcNames = qw(mean_radius mean_texture mean_perimeter mean_area
    mean_smoothness mean_compactness mean_concavity mean_concave_points
    mean_symmetry mean_fractal_dimension radius_error texture_error
    perimeter_error area_error smoothness_error compactness_error
    concavity_error concave_points_error symmetry_error
    fractal_dimension_error worst_radius worst_texture worst_perimeter
    worst_area worst_smoothness worst_compactness worst_concavity
    worst_concave_points worst_symmetry worst_fractal_dimension);
our @BcRow = qw(17.99 10.38 122.8 1001.0 0.1184 0.2776 0.3001 0.1471 0.2419
    0.07871 1.095 0.9053 8.589 153.4 0.006399 0.04904 0.05373 0.01587
    0.03003 0.006193 25.38 17.33 184.6 2019.0 0.1622 0.6656 0.7119 0.2654
    0.4601 0.1189);
our $BcInputs = join "", map { "        input  $_  \$arg_$_;\n" } @BcNames;
our $BcArgs = join "&", map { "$BcNames[$_]=$BcRow[$_]" } 0 .. $#BcNames;

run_tests();

__DATA__

=== TEST 1: a likely bot: its probability of "bot" and the predicted label
--- request eval
"GET /score?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_body
0.9967302475027543 bot
--- no_error_log
[error]



=== TEST 2: a likely human
--- request eval
"GET /score?$main::HumanArgs"
--- more_headers eval
$main::Human
--- response_body
0.022524171002891502 human



=== TEST 3: read three times and its label once: computed once
--- request eval
"GET /thrice?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_body
0.9967302475027543 bot 0.9967302475027543 0.9967302475027543
--- grep_error_log eval
qr/mlpredict: scored \$bot_score/
--- grep_error_log_out
mlpredict: scored $bot_score



=== TEST 4: lazy: a location that never reads the variable never computes it
--- request eval
"GET /none?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_body
never read
--- no_error_log
mlpredict: scored
mlpredict:



=== TEST 5: in "if": likely bots are denied, humans pass
--- request eval
["GET /guard?$main::BotArgs", "GET /guard?$main::HumanArgs"]
--- more_headers eval
[$main::Bot, $main::Human]
--- error_code eval
[403, 200]



=== TEST 6: in "map", by label and by a regex on the probability
--- request eval
["GET /map?$main::BotArgs", "GET /map?$main::HumanArgs", "PUT /map"]
--- more_headers eval
[$main::Bot, $main::Human, ""]
--- response_body eval
["deny high\n", "allow low\n", "unscored unknown\n"]



=== TEST 7: in add_header
--- request eval
"GET /header?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_headers
X-Bot-Score: 0.9967302475027543
X-Bot-Label: bot



=== TEST 8: as a limit_req_zone key: each label its own bucket
--- request eval
["GET /limited?$main::BotArgs", "GET /limited?$main::BotArgs",
 "GET /limited?$main::HumanArgs"]
--- more_headers eval
[$main::Bot, $main::Bot, $main::Human]
--- error_code eval
[200, 503, 200]
--- user_files
>>> limited
ok



=== TEST 9: in access_log, after the response
--- request eval
"GET /log?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_body
ok
--- access_log eval
"/log?$main::BotArgs label=bot score=0.9967302475027543"



=== TEST 10: an internal redirect keeps the result: read before, its label after, one computation
--- request eval
"GET /redirect?$main::BotArgs"
--- more_headers eval
$main::Bot
--- response_body
0.9967302475027543 bot
--- grep_error_log eval
qr/mlpredict: scored \$bot_score/
--- grep_error_log_out
mlpredict: scored $bot_score



=== TEST 11: missing inputs (no arguments, cookies or headers; empty arguments) are what the imputers make of them
--- request eval
["GET /score", "GET /score?len=&mm=&t="]
--- response_body eval
["0.39240090709701403 human\n", "0.39240090709701403 human\n"]
--- no_error_log
[info]



=== TEST 12: a number that is not one: the default (empty), logged at info, never an error
--- request
GET /score?mm=abc
--- response_body eval
" \n"
--- error_log
[info]
mlpredict: $bot_score: feature "mouse_moves" must be a finite number, not "abc"; the variable is its default ""
--- no_error_log
[error]



=== TEST 13: neither a number past a double's range nor strtod's hexadecimal: not blocked
--- request eval
["GET /guard?mm=1e400", "GET /score?mm=0x10", "GET /score?len=1,5"]
--- more_headers eval
[$main::Bot, $main::Bot, $main::Bot]
--- error_code eval
[200, 200, 200]
--- response_body eval
["ok\n", " \n", " \n"]



=== TEST 14: a category the encoder refuses (a method it never saw): the configured default
--- http_config eval
$main::HttpConfig =~ s/label  \$bot_label;/label  \$bot_label;\n        default unscored;/r
--- request
PUT /score
--- response_body
unscored unscored
--- error_log
mlpredict: $bot_score: feature "method": unknown category "PUT"; the variable is its default "unscored"



=== TEST 15: a refused method is not blocked by the guard
--- request
DELETE /guard
--- more_headers eval
$main::Bot
--- response_body
ok



=== TEST 16: a regressor with native missing values, inputs left out of the block
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/diabetes_hgb.mlp $progression {
        input  age  $arg_age;
        input  bmi  $arg_bmi;
        input  bp   $arg_bp;
    }
--- config
    location = /t {
        return 200 "$progression\n";
    }
--- request
GET /t?age=0.038&bmi=0.062
--- response_body
136.39368431929503



=== TEST 17: a regressor of three targets: "output" picks one
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/linnerud.mlp $jumps {
        input  Chins   $arg_c;
        input  Situps  $arg_s;
        input  Jumps   $arg_j;
        output 2;
    }
    mlpredict_score $TEST_NGINX_MODELS/linnerud.mlp $weight {
        input  Chins   $arg_c;
        input  Situps  $arg_s;
        input  Jumps   $arg_j;
    }
--- config
    location = /t {
        return 200 "$weight $jumps\n";
    }
--- request
GET /t?c=5&s=162&j=60
--- response_body
187.4981267327272 52.94021876551846



=== TEST 18: categories from headers and a cookie, a number made of two arguments, trees with native categories
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn_hgb.mlp $churn {
        input  age            "$arg_tens$arg_units";
        input  tenure         $arg_tenure;
        input  support_calls  $arg_calls;
        input  plan           $http_x_plan;
        input  region         ${cookie_region};
        input  contract       $http_x_contract;
        label  $churn_label;
    }
--- config
    location = /t {
        return 200 "$churn $churn_label\n";
    }
--- request
GET /t?tens=3&units=7&tenure=4&calls=2
--- more_headers
X-Plan: premium
X-Contract: monthly
Cookie: region=north
--- response_body
0.41345104121666176 no



=== TEST 19: a category is matched exactly; an unseen one is what the encoder makes of it
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        input  plan  $http_x_plan;
        class  yes;
    }
--- config
    location = /t {
        return 200 "$churn\n";
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["X-Plan: premium", "X-Plan: Premium", "X-Plan: platinum"]
--- response_body_like eval
[qr/^0\.\d+\n$/, qr/^0\.\d+\n$/, qr/^0\.\d+\n$/]
--- no_error_log
[info]



=== TEST 20: an input the model does not have
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        input  plna  $http_x_plan;
    }
--- config
--- must_die
--- error_log
[emerg]
mlpredict_score: the model



=== TEST 21: an input that may not be missing must be given
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/bot.mlp $bot {
        input  rate  $http_x_request_rate;
    }
--- config
--- must_die
--- error_log
[emerg]
mlpredict_score $bot: no "input method ...;": the model



=== TEST 22: a class the model does not have, with the classes it has
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        class  maybe;
    }
--- config
--- must_die
--- error_log
[emerg]
has no class "maybe" (classes: "no", "yes")



=== TEST 23: a classifier of three classes needs "class"
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/iris_hgb.mlp $iris {
        label  $iris_label;
    }
--- config
--- must_die
--- error_log
[emerg]
has 3 classes: say which one's probability the variable holds with "class"



=== TEST 24: integer classes are named as written
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/iris_hgb.mlp $iris {
        input  sepal_length_cm  $arg_a;
        input  sepal_width_cm   $arg_b;
        input  petal_length_cm  $arg_c;
        input  petal_width_cm   $arg_d;
        class  0;
        label  $iris_label;
    }
--- config
    location = /t {
        return 200 "$iris_label\n";
    }
--- request
GET /t?a=5.1&b=3.5&c=1.4&d=0.2
--- response_body
0



=== TEST 25: "label" on a regressor
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/diabetes_hgb.mlp $p {
        label  $l;
    }
--- config
--- must_die
--- error_log
[emerg]
"class" and "label" are for classifiers



=== TEST 26: a model file that does not load stops the configuration
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/nonexistent.mlp $p {
    }
--- config
--- must_die
--- error_log
[emerg]
mlpredict: cannot load model



=== TEST 27: an input given twice, a name that is no variable, an unknown line
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        input  plan  $http_x_plan;
        input  plan  $http_x_plan2;
    }
--- config
--- must_die
--- error_log
[emerg]
mlpredict_score: input "plan" is given twice



=== TEST 28: the variable's name must start with "$"
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp churn {
    }
--- config
--- must_die
--- error_log
[emerg]
invalid variable name "churn"



=== TEST 29: an unknown line in the block
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        inptu  plan  $http_x_plan;
    }
--- config
--- must_die
--- error_log
[emerg]
invalid line "inptu" in mlpredict_score



=== TEST 30: the same name twice is refused as nginx refuses duplicate variables
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
    }
    mlpredict_score $TEST_NGINX_MODELS/churn_hgb.mlp $churn {
    }
--- config
--- must_die
--- error_log
[emerg]
the duplicate "churn" variable



=== TEST 31: at server level, in the same server as its readers
--- http_config
--- config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        input  plan  $arg_plan;
        label  $churn_label;
    }

    location = /t {
        return 200 "$churn_label\n";
    }
--- request
GET /t?plan=premium
--- response_body
no



=== TEST 32: the variable as an input of itself is absent there, not a loop
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/churn.mlp $churn {
        input  age  $churn;
        label  $churn_label;
    }
--- config
    location = /t {
        return 200 "$churn_label\n";
    }
--- request
GET /t
--- response_body
no
--- no_error_log
[error]



=== TEST 33: an SVM answering decision values: the value for the second class, its opposite for the first
--- http_config eval
"    mlpredict_score \$TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp \$svc {\n"
. $main::BcInputs . "        label  \$svc_label;\n    }\n"
. "    mlpredict_score \$TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp "
. "\$svc_benign {\n" . $main::BcInputs . "        class  benign;\n    }\n"
--- config
    location = /t {
        return 200 "$svc $svc_benign $svc_label\n";
    }
--- request eval
"GET /t?$main::BcArgs"
--- response_body_like chomp
^(1\.00002820163045\d{1,2}) -\1 malignant$



=== TEST 34: an SVM with Platt probabilities
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/iris_svc.mlp $iris {
        input  sepal_length_cm  $arg_a;
        input  sepal_width_cm   $arg_b;
        input  petal_length_cm  $arg_c;
        input  petal_width_cm   $arg_d;
        class  setosa;
        label  $iris_label;
    }
--- config
    location = /t {
        return 200 "$iris $iris_label\n";
    }
--- request
GET /t?a=5.1&b=3.5&c=1.4&d=0.2
--- response_body
0.9723692809693242 setosa



=== TEST 35: in proxy_set_header, to an upstream that never computes it itself
--- config
    location = /shop {
        proxy_set_header X-Bot-Score $bot_score;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }

    location = /upstream {
        return 200 "upstream got $http_x_bot_score\n";
    }
--- request eval
"GET /shop?$main::HumanArgs"
--- more_headers eval
$main::Human
--- response_body
upstream got 0.022524171002891502
--- grep_error_log eval
qr/mlpredict: scored \$bot_score/
--- grep_error_log_out
mlpredict: scored $bot_score



=== TEST 36: one-vs-one decision values have no number per class: the variable is the label
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/../ngx_http_mlpredict_module/test/data/iris_svc_ovo.mlp $iris {
        input  a  $arg_a;
        input  b  $arg_b;
        input  c  $arg_c;
        input  d  $arg_d;
        label  $iris_label;
    }
--- config
    location = /t {
        return 200 "$iris $iris_label\n";
    }
--- request eval
["GET /t?a=5.1&b=3.5&c=1.4&d=0.2", "GET /t?a=6.3&b=3.3&c=6.0&d=2.5"]
--- response_body eval
["setosa setosa\n", "virginica virginica\n"]



=== TEST 37: and "class" is refused for them
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/../ngx_http_mlpredict_module/test/data/iris_svc_ovo.mlp $iris {
        input  a  $arg_a;
        input  b  $arg_b;
        input  c  $arg_c;
        input  d  $arg_d;
        class  setosa;
    }
--- config
--- must_die
--- error_log
[emerg]
answers decision values by pairs of classes (one-vs-one), none for class "setosa"



=== TEST 38: an input from a regex capture ($1 of the location)
--- http_config eval
(my $c = $main::HttpConfig) =~ s/\$arg_len/\$1/;
$c
--- config
    location ~ ^/cap/(\d+)$ {
        return 200 "$bot_score $bot_label\n";
    }
--- request eval
"GET /cap/180?mm=0&t=0.5"
--- more_headers eval
$main::Bot
--- response_body
0.9967302475027543 bot
--- no_error_log
[error]



=== TEST 39: "output" on a classifier names what the model has
--- http_config
    mlpredict_score $TEST_NGINX_MODELS/iris.mlp $iris {
        input  sepal_length_cm  $arg_a;
        input  sepal_width_cm   $arg_b;
        input  petal_length_cm  $arg_c;
        input  petal_width_cm   $arg_d;
        output 5;
    }
--- config
--- must_die
--- error_log
[emerg]
invalid output "5": the model has 3 classes ("output" is for regressors with several targets)
