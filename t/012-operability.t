# Operability: JSON errors from nginx's own HTTP layer (the server-level
# mlpredict_json_errors switch) and the access log variables, seen through
# add_header.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    mlpredict_json_errors on;
    large_client_header_buffers 2 1k;

    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }

    location = /len {
        return 411;
    }
_EOC_
    }

    if (!defined $block->response_headers) {
        $block->set_value("response_headers", "Content-Type: application/json");
    }
});

run_tests();

__DATA__

=== TEST 1: a bad request line: 400 in JSON
--- raw_request eval
"BAD LINE\r\n\r\n"
--- response_body
{"error":"bad request: a malformed request line or header, or headers too large"}
--- error_code: 400



=== TEST 2: headers too large (494, answered 400): JSON
--- raw_request eval
"GET /iris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n"
--- response_body
{"error":"bad request: a malformed request line or header, or headers too large"}
--- error_code: 400



=== TEST 3: a URI too long: 414 in JSON
--- raw_request eval
"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
{"error":"request URI too long"}
--- error_code: 414



=== TEST 4: a broken Content-Length: 400 in JSON
--- raw_request eval
"POST /iris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 12x\r\n\r\n"
--- response_body
{"error":"bad request: a malformed request line or header, or headers too large"}
--- error_code: 400



=== TEST 5: Transfer-Encoding with Content-Length: 400 in JSON
--- raw_request eval
"POST /iris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
--- response_body
{"error":"bad request: a malformed request line or header, or headers too large"}
--- error_code: 400



=== TEST 6: TRACE: 405 in JSON
--- raw_request eval
"TRACE /iris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
{"error":"method not allowed"}
--- error_code: 405



=== TEST 7: an unknown Transfer-Encoding: 501 in JSON
--- raw_request eval
"POST /iris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: gzip\r\n\r\n"
--- response_body
{"error":"not implemented"}
--- error_code: 501



=== TEST 8: Host missing in HTTP/1.1: 400 in JSON
--- raw_request eval
"GET /iris HTTP/1.1\r\nConnection: close\r\n\r\n"
--- response_body
{"error":"bad request: a malformed request line or header, or headers too large"}
--- error_code: 400



=== TEST 9: nginx's own 411 page (return 411): JSON
--- raw_request eval
"POST /len HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
{"error":"length required"}
--- error_code: 411



=== TEST 10: an unknown path in the server: 404 in JSON
--- raw_request eval
"GET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
{"error":"not found"}
--- error_code: 404



=== TEST 11: HEAD of an error: the JSON headers, no body
--- raw_request eval
"HEAD /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body

--- error_code: 404



=== TEST 12: without the switch nginx's HTML stays
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- raw_request eval
"TRACE /iris HTTP/1.1\r
Host: localhost\r
Connection: close\r
\r
"
--- response_headers
Content-Type: text/html
--- response_body_like: <h1>405 Not Allowed</h1>
--- error_code: 405



=== TEST 13: mlpredict_json_errors off in a location
--- config
    mlpredict_json_errors on;

    location /static {
        mlpredict_json_errors off;
    }
--- request
GET /static/nothing
--- response_headers
Content-Type: text/html
--- response_body_like: <h1>404 Not Found</h1>
--- error_code: 404



=== TEST 14: the predictions' own errors are unchanged
--- request
POST /iris
{"features": [1, 2]}
--- response_body_like: ^\{"error":"
--- error_code: 400



=== TEST 15: the log variables: model, version, rows, first prediction, core time
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        add_header X-Model $mlpredict_model;
        add_header X-Version $mlpredict_model_version;
        add_header X-Rows $mlpredict_rows;
        add_header X-Prediction $mlpredict_prediction;
        add_header X-Core-Us $mlpredict_core_us;
        add_header X-Error $mlpredict_error always;
    }
--- request
POST /iris
{"instances": [[6.7, 3.0, 5.2, 2.3], [5.1, 3.5, 1.4, 0.2]]}
--- response_headers_like
X-Model: ^iris$
X-Version: ^1$
X-Rows: ^2$
X-Prediction: ^virginica$
X-Core-Us: ^\d+$
--- response_headers
!X-Error
--- response_body_like: ^\{"predictions":\[\{"prediction":"virginica",.*\{"prediction":"setosa",
--- error_code: 200



=== TEST 16: the log variables on a client error: the reason, no prediction
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        add_header X-Model $mlpredict_model always;
        add_header X-Rows $mlpredict_rows always;
        add_header X-Prediction $mlpredict_prediction always;
        add_header X-Error $mlpredict_error always;
    }
--- request
POST /iris
{"petal": 1}
--- response_headers
X-Model: iris
X-Prediction:
X-Error: invalid_input
--- error_code: 400



=== TEST 17: the reason for a wrong Content-Type
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        add_header X-Error $mlpredict_error always;
        add_header X-Core-Us $mlpredict_core_us always;
    }
--- request
POST /iris
--- more_headers
Content-Type: text/plain
--- response_headers
X-Error: unsupported_media_type
X-Core-Us:
--- error_code: 415



=== TEST 18: outside an mlpredict location the variables are empty
--- config
    location = /x {
        return 200 "[$mlpredict_model][$mlpredict_rows][$mlpredict_error]";
    }
--- request
GET /x
--- response_headers
Content-Type: text/plain
--- response_body: [][][]



=== TEST 19: the variables in a log_format
--- http_config
    log_format ml '$mlpredict_model $mlpredict_model_version $mlpredict_rows '
                  '$mlpredict_prediction $mlpredict_core_us $mlpredict_error';
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        access_log logs/ml.log ml;
    }
--- request
POST /iris
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200



=== TEST 20: mlpredict_metrics needs a zone
--- config
    location = /metrics {
        mlpredict_metrics;
    }
--- must_die
--- error_log
"mlpredict_metrics" directive needs an mlpredict_metrics_zone at the http level before it



=== TEST 21: a zone under 8 pages is refused
--- http_config
    mlpredict_metrics_zone m 4k;
--- config
    location = /metrics {
        mlpredict_metrics;
    }
--- must_die
--- error_log
invalid mlpredict_metrics_zone size "4k"



=== TEST 22: /metrics: text format 0.0.4, the model's info and zero counters
--- http_config
    mlpredict_metrics_zone mlpredict_t22 64k;
--- config
    location = /metrics {
        mlpredict_metrics;
    }

    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
GET /metrics
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like eval
qr{# TYPE mlpredict_requests_total counter\n.*
^mlpredict_requests_total\{model="iris",version="1",status_class="5xx"\}\ 0\n.*
^mlpredict_errors_total\{model="iris",version="1",reason="invalid_input"\}\ 0\n.*
^mlpredict_core_duration_seconds_bucket\{model="iris",version="1",le="\+Inf"\}\ 0\n.*
^mlpredict_model_info\{model="iris",version="1",checksum="crc32:[0-9a-f]{8}",loaded="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}\ 1\n}msx
--- error_code: 200



=== TEST 23: /metrics takes GET and HEAD only
--- http_config
    mlpredict_metrics_zone mlpredict_t23 64k;
--- config
    mlpredict_json_errors on;

    location = /metrics {
        mlpredict_metrics;
    }
--- request
POST /metrics
x
--- response_body
{"error":"method not allowed"}
--- error_code: 405



=== TEST 24: a page error_page redirects to is left as configured
--- config
    mlpredict_json_errors on;
    error_page 404 /custom;

    location = /custom {
        return 200 "custom page\n";
    }
--- request
GET /nowhere
--- response_headers
Content-Type: text/plain
--- response_body
custom page
--- error_code: 404
