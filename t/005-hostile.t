# Bodies built to hurt the parser: refused with a JSON 400, and the same
# worker goes on answering (a worker that died would leave "exited on
# signal" in the master's error log, checked after every request).

use Test::Nginx::Socket 'no_plan';

master_on();
workers(1);
repeat_each(2);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
_EOC_
    }
});

our $valid = '{"features": [5.1, 3.5, 1.4, 0.2]}';

# issue 7: 2,131 bytes that made jansson run out of its budget mid-lexing
our $crash = ('[' x 1935) . '{"in' . ('[' x 173) . "es\":[\r\r"
             . ('[' x 8) . '}[[[';

run_tests();

__DATA__

=== TEST 1: the body that killed a worker, then a valid row on the same server
--- request eval
["POST /iris\n$::crash", "POST /iris\n$::valid"]
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/^\{"error":"JSON nested deeper than 32 levels at offset 32: [^"]*"\}$/,
 qr/^\{"prediction":"setosa","probabilities":\{/]
--- no_error_log
exited on signal
[alert]
[error]



=== TEST 2: nesting at the limit is parsed, one level more is refused
--- request eval
["POST /iris\n{\"features\": " . ('[' x 31) . (']' x 31) . "}",
 "POST /iris\n{\"features\": " . ('[' x 32) . (']' x 32) . "}"]
--- error_code eval
[400, 400]
--- response_body_like eval
[qr/^\{"error":"\\"features\\": 1 values, the model takes 4"\}$/,
 qr/^\{"error":"JSON nested deeper than 32 levels at offset 44: /]
--- no_error_log
exited on signal
[error]



=== TEST 3: a batch of many empty objects: too many values for its size, 413
--- request eval
"POST /iris\n{\"instances\": [" . join(",", ("{}") x 20000) . "]}"
--- error_code: 413
--- response_body_like: ^\{"error":"the body has too many JSON values for its size to parse"\}$
--- no_error_log
exited on signal
[error]



=== TEST 4: every regression body of the fuzz corpus, then a valid row
--- request eval
my $dir = "$ENV{TEST_NGINX_MODELS}/../ngx_http_mlpredict_module/test/corpus/request";
opendir(my $d, $dir) or die "$dir: $!";
my @reqs;
for my $f (sort grep { /^crash-/ } readdir $d) {
    open(my $fh, "<", "$dir/$f") or die "$f: $!";
    local $/;
    push @reqs, "POST /iris\n" . <$fh>;
}
push @reqs, "POST /iris\n$::valid";
\@reqs
--- error_code eval
my $n = () = glob("$ENV{TEST_NGINX_MODELS}/../ngx_http_mlpredict_module/test/corpus/request/crash-*");
[(400) x $n, 200]
--- no_error_log
exited on signal
[error]



=== TEST 5: the refusal is logged at info, as every client mistake
--- request eval
"POST /iris\n$::crash"
--- error_code: 400
--- error_log
mlpredict: JSON nested deeper than 32 levels at offset 32
--- no_error_log
[error]
