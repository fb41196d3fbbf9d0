# Every client mistake: a 4xx with a JSON {"error": "..."} that names the
# problem, logged at info, never a 500 and never an [error] line of ours.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict_max_batch 3;
    }
_EOC_
    }

    if (!defined $block->response_headers) {
        $block->set_value("response_headers", "Content-Type: application/json");
    }
});

run_tests();

__DATA__

=== TEST 1: malformed JSON, with line and column
--- request
POST /iris
{"features": [5.1, 3.5,
  1.4 0.2]}
--- response_body_like chomp
^\{"error":"malformed JSON at line 2, column 9: ']' expected near '0\.2'"\}$
--- error_code: 400
--- error_log
mlpredict: malformed JSON at line 2, column 9
--- no_error_log
[error]



=== TEST 2: empty body
--- request
POST /iris
--- response_body_like: ^\{"error":"empty body
--- error_code: 400



=== TEST 3: a missing feature is named
--- request
POST /iris
{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4}
--- response_body
{"error":"missing feature \"petal_width_cm\""}
--- error_code: 400
--- error_log
mlpredict: missing feature "petal_width_cm"
--- no_error_log
[error]



=== TEST 4: an unknown feature is named, escaped in the answer
--- request
POST /iris
{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2, "pe\"tal": 1}
--- response_body
{"error":"unknown feature \"pe\"tal\""}
--- error_code: 400



=== TEST 5: a non-numeric value is named
--- request
POST /iris
{"sepal_length_cm": "5.1", "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}
--- response_body
{"error":"feature \"sepal_length_cm\" must be a number, not a string"}
--- error_code: 400



=== TEST 6: null is a missing value this model cannot take
--- request
POST /iris
{"features": [5.1, null, 1.4, 0.2]}
--- response_body
{"error":"feature \"sepal_width_cm\" is null: this model has no rule for missing values"}
--- error_code: 400



=== TEST 7: a number JSON can write but a double cannot hold
--- request
POST /iris
{"features": [5.1, 3.5, 1e400, 0.2]}
--- response_body_like: ^\{"error":"malformed JSON at line 1, column \d+: real number overflow
--- error_code: 400



=== TEST 8: values too large for the model: its output would not be finite
--- request
POST /diabetes
{"features": [1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308]}
--- config
    location = /diabetes {
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
    }
--- response_body_like: ^\{"error":"feature values too large for this model
--- error_code: 400



=== TEST 9: wrong row length
--- request
POST /iris
{"instances": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4]]}
--- response_body
{"error":"row 1: 3 values, the model takes 4"}
--- error_code: 400



=== TEST 10: a bad value inside a batch names the row and the feature
--- request
POST /iris
{"instances": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, true]]}
--- response_body
{"error":"row 1, feature \"petal_width_cm\" must be a number, not a boolean"}
--- error_code: 400



=== TEST 11: unknown top-level shapes
--- request eval
["POST /iris\n[5.1, 3.5, 1.4, 0.2]",
 "POST /iris\n{\"instances\": {\"a\": 1}}",
 "POST /iris\n{\"features\": \"5.1 3.5\"}",
 "POST /iris\n{\"inputs\": [[5.1, 3.5, 1.4, 0.2]]}",
 "POST /iris\n{\"instances\": []}"]
--- response_body_like eval
[qr/^\{"error":"the body must be a JSON object, not an array/,
 qr/^\{"error":"\\"instances\\" must be the only key and an array of rows"\}$/,
 qr/^\{"error":"\\"features\\" must be the only key and an array of 4 numbers/,
 qr/^\{"error":"unknown feature \\"inputs\\""\}$/,
 qr/^\{"error":"\\"instances\\" is empty"\}$/]
--- response_headers eval
[("Content-Type: application/json") x 5]
--- error_code eval
[400, 400, 400, 400, 400]



=== TEST 12: a duplicate key is refused, not silently overwritten
--- request
POST /iris
{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2, "sepal_length_cm": 9}
--- response_body_like: ^\{"error":"malformed JSON at line 1, column \d+: duplicate object key
--- error_code: 400



=== TEST 13: a batch over mlpredict_max_batch
--- request
POST /iris
{"instances": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2]]}
--- response_body
{"error":"batch of 4 rows is over the limit of 3 (mlpredict_max_batch)"}
--- error_code: 413



=== TEST 14: an unsupported Content-Type
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request
POST /iris
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body
{"error":"unsupported Content-Type: send application/json (or text/csv)"}
--- error_code: 415



=== TEST 15: a method other than GET, HEAD and POST
--- request
PUT /iris
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_headers
Content-Type: application/json
Allow: GET, HEAD, POST
--- response_body_like: ^\{"error":"method not allowed
--- error_code: 405



=== TEST 16: a body over client_max_body_size: nginx's 413, in JSON
--- config
    location = /iris {
        client_max_body_size 100;
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request eval
"POST /iris\n{\"instances\": [" . join(",", ("[5.1, 3.5, 1.4, 0.2]") x 10) . "]}"
--- response_body
{"error":"request body too large (over client_max_body_size)"}
--- error_code: 413



=== TEST 17: a chunked body over client_max_body_size: 413 in JSON too
--- config
    location = /iris {
        client_max_body_size 10;
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- raw_request eval
"POST /iris HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
22\r
{\"features\": [5.1, 3.5, 1.4, 0.2]}\r
0\r
\r
"
--- response_body
{"error":"request body too large (over client_max_body_size)"}
--- error_code: 413



=== TEST 18: a broken chunked body: nginx's 400, in JSON
--- raw_request eval
"POST /iris HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
zz\r
{}\r
0\r
\r
"
--- response_body
{"error":"bad request"}
--- error_code: 400



=== TEST 19: invalid UTF-8 in a key
--- request eval
"POST /iris\n{\"sepal\xff\": 1}"
--- response_body_like: ^\{"error":"malformed JSON at line 1, column \d+: unable to decode byte 0xff
--- error_code: 400



=== TEST 20: a CSV body to the location's own model: a JSON batch back
--- more_headers
Content-Type: text/csv
--- request
POST /iris
sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm
5.1,3.5,1.4,0.2
6.3,3.3,6.0,2.5
--- response_body_like: ^\{"predictions":\[\{"prediction":"setosa".*\{"prediction":"virginica"
--- error_code: 200



=== TEST 21: the same in CSV when Accept asks for it
--- more_headers
Content-Type: text/csv
Accept: text/csv
--- request
POST /iris
5.1,3.5,1.4,0.2
--- response_headers
Content-Type: text/csv
--- response_body_like: ^setosa,
--- error_code: 200



=== TEST 22: a CSV body with a bad cell: 400 naming it
--- more_headers
Content-Type: text/csv
--- request
POST /iris
5.1,3.5,abc,0.2
--- response_body_like: ^\{"error":".*
--- error_code: 400
