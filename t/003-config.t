# Configuration: bad directive values and bad model files are refused when
# nginx starts (and so by `nginx -t`), naming the file and the reason.

use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir);

# Damaged copies of a good model, made fresh for this run.
my $dir = tempdir(CLEANUP => 1);
my $good = "$ENV{TEST_NGINX_MODELS}/iris.mlp";

open my $in, '<:raw', $good or die "$good: $!";
my $data = do { local $/; <$in> };
close $in;

sub damaged {
    my ($name, $bytes) = @_;
    open my $out, '>:raw', "$dir/$name" or die "$dir/$name: $!";
    print $out $bytes;
    close $out;
}

damaged("truncated.mlp", substr($data, 0, length($data) - 10));
damaged("short.mlp", substr($data, 0, 40));
damaged("empty.mlp", "");
damaged("text.mlp", "this is not a model, it is text that is long enough to "
                    . "fill a header of sixty-four bytes\n");
my $flipped = $data;
substr($flipped, length($flipped) - 3, 1) ^= "\x01";
damaged("flipped.mlp", $flipped);
my $future = $data;
substr($future, 8, 4) = pack("V", 99);
damaged("future.mlp", $future);

$ENV{TEST_NGINX_BAD} = $dir;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a model file that does not exist
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/nonexistent.mlp;
    }
--- must_die
--- error_log eval
qr{mlpredict: cannot load model "[^"]*/nonexistent\.mlp": stat\(\) failed \(2: No such file or directory\)}



=== TEST 2: a truncated model file
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/truncated.mlp;
    }
--- must_die
--- error_log eval
qr{mlpredict: cannot load model "[^"]*/truncated\.mlp": header says \d+ bytes but the file has \d+ \(truncated\)}



=== TEST 3: a file shorter than the header
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/short.mlp;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*/short\.mlp": file too small: 40 bytes}



=== TEST 4: an empty file
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/empty.mlp;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*/empty\.mlp": file too small: 0 bytes}



=== TEST 5: not a model at all
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/text.mlp;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*/text\.mlp": bad magic: not an mlpredict model file}



=== TEST 6: one flipped bit fails the checksum
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/flipped.mlp;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*/flipped\.mlp": checksum mismatch: header says 0x[0-9a-f]{8}, content is 0x[0-9a-f]{8} \(file corrupt\)}



=== TEST 7: a format version from the future
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD/future.mlp;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*/future\.mlp": format version 99 is not supported \(this build reads version 2\)}



=== TEST 8: a directory is not a model
--- config
    location = /m {
        mlpredict $TEST_NGINX_BAD;
    }
--- must_die
--- error_log eval
qr{cannot load model "[^"]*": not a regular file}



=== TEST 9: mlpredict_max_batch must be a positive number
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict_max_batch 0;
    }
--- must_die
--- error_log
value must be between 1 and 10000000



=== TEST 10: mlpredict_max_batch takes a number
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict_max_batch lots;
    }
--- must_die
--- error_log
"mlpredict_max_batch" directive invalid number



=== TEST 11: one model per location
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
    }
--- must_die
--- error_log
"mlpredict" directive is duplicate



=== TEST 12: mlpredict needs a path
--- config
    location = /m {
        mlpredict;
    }
--- must_die
--- error_log
invalid number of arguments in "mlpredict" directive



=== TEST 13: mlpredict belongs in a location
--- http_config
    mlpredict $TEST_NGINX_MODELS/iris.mlp;
--- config
--- must_die
--- error_log
"mlpredict" directive is not allowed here



=== TEST 14: mlpredict_max_batch is inherited from the server level
--- config
    mlpredict_max_batch 1;
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /m
{"instances": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2]]}
--- response_body
{"error":"batch of 2 rows is over the limit of 1 (mlpredict_max_batch)"}
--- error_code: 413



=== TEST 15: a location nested in an mlpredict location does not serve the model
--- config
    location /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;

        location /m/static {
            return 200 "static\n";
        }
    }
--- request
POST /m/static
{}
--- response_body
static
--- error_code: 200



=== TEST 16: "if" inside an mlpredict location keeps the endpoint
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;

        if ($arg_tag) {
            add_header X-Tag $arg_tag;
        }
    }
--- request
POST /m?tag=a
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_headers
X-Tag: a
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200
--- no_error_log
[alert]



=== TEST 17: limit_except inside an mlpredict location
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;

        limit_except POST {
            deny all;
        }
    }
--- request eval
["POST /m\n{\"features\": [5.1, 3.5, 1.4, 0.2]}", "GET /m"]
--- response_body_like eval
[qr/^\{"prediction":"setosa"/, qr/^\{"error":"request refused"\}$/]
--- error_code eval
[200, 403]



=== TEST 18: a "return" with its own text in the location is left alone
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;

        if ($arg_teapot) {
            return 418 "short and stout\n";
        }
    }
--- request
POST /m?teapot=1
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body
short and stout
--- error_code: 418



=== TEST 19: mlpredict_heap_keep takes a size, at the http level
--- http_config
    mlpredict_heap_keep 16m;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /m
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200
--- error_log
mlpredict_heap_keep 16777216: mallopt
--- no_error_log
[warn]



=== TEST 20: mlpredict_heap_keep off leaves glibc's defaults
--- http_config
    mlpredict_heap_keep off;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /m
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200
--- no_error_log
: mallopt



=== TEST 21: mlpredict_heap_keep refuses what is not a size
--- http_config
    mlpredict_heap_keep lots;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
invalid value "lots": a size from 128k to 2047m, or off



=== TEST 22: mlpredict_heap_keep refuses a size glibc cannot take
--- http_config
    mlpredict_heap_keep 2g;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
invalid value "2g": a size from 128k to 2047m, or off



=== TEST 23: mlpredict_heap_keep is given once
--- http_config
    mlpredict_heap_keep 8m;
    mlpredict_heap_keep 16m;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
"mlpredict_heap_keep" directive is duplicate



=== TEST 24: mlpredict_heap_keep refuses less than glibc's own 128k
--- http_config
    mlpredict_heap_keep 64k;
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
invalid value "64k": a size from 128k to 2047m, or off



=== TEST 25: mlpredict_heap_keep's default, 64m, where a model is served
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /m
{"features": [5.1, 3.5, 1.4, 0.2]}
--- error_code: 200
--- error_log
mlpredict_heap_keep 67108864: mallopt



=== TEST 26: no mallopt in a server without models
--- http_config
    mlpredict_heap_keep 16m;
--- config
    location = /plain {
        return 200 "ok\n";
    }
--- request
GET /plain
--- response_body
ok
--- no_error_log
: mallopt
