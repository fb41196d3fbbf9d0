# A small, self-contained re-implementation of the subset of the CPAN
# module Test::Nginx::Socket (openresty/test-nginx) that this project's
# t/*.t files use.  The test files must keep passing, unmodified, under the
# real module; this one exists because CPAN is not reachable in our build
# environment.  Only core Perl modules are used.
#
# Run:  prove -I t/compat t/
#
# See t/compat/README.md for the supported subset and the semantics that
# were matched.

# ---------------------------------------------------------------------------
# "--- section eval" code runs here, before any file-scoped lexical below is
# declared, so the evaluated code cannot see our internals (the real module
# evaluates in package Test::Base::Filter, under strict and warnings).
# ---------------------------------------------------------------------------
package Test::Nginx::Socket::Filter;
use strict;
use warnings;

sub _eval_section {
    my @return = eval $_[0];
    if ($@) {
        # Like Test::Base's "eval" filter: the error text becomes the value.
        # (We additionally warn, so the mistake does not go unnoticed.)
        warn "WARNING: --- eval section failed: $@";
        return $@;
    }
    return @return;
}

# ---------------------------------------------------------------------------
# Block objects (Test::Base::Block look-alike).
# ---------------------------------------------------------------------------
package Test::Nginx::Socket::Block;
use strict;
use warnings;

our $AUTOLOAD;

sub new {
    my $class = shift;
    return bless { original_values => {} }, $class;
}

sub set_value {
    my ($self, $key, @values) = @_;
    $self->{$key} = [@values];
    return;
}

sub _get {
    my ($self, $key) = @_;
    return unless exists $self->{$key} && ref $self->{$key} eq 'ARRAY';
    my @list = @{ $self->{$key} };
    return wantarray ? @list : $list[0];
}

sub name        { my $s = shift; $s->_get('name') }
sub description { my $s = shift; $s->_get('description') }
sub seq_num         { $_[0]{_seq_num} }
sub original_values { $_[0]{original_values} }
sub is_filtered     { $_[0]{_is_filtered} }

sub AUTOLOAD {
    my $self = shift;
    (my $key = $AUTOLOAD) =~ s/.*:://;
    return if $key eq 'DESTROY';
    return unless ref $self;
    if (@_) {
        Carp::croak("Not allowed to set values for '$key'");
    }
    return $self->_get($key);
}

sub DESTROY { }

# ---------------------------------------------------------------------------
# Minimal HTTP response object (the part of HTTP::Response the checks use).
# ---------------------------------------------------------------------------
package Test::Nginx::Socket::Response;
use strict;
use warnings;

sub new {
    my ($class, %args) = @_;
    return bless {
        code    => $args{code},
        headers => $args{headers} || [],
        content => $args{content},
    }, $class;
}

sub code {
    my $self = shift;
    $self->{code} = shift if @_;
    return $self->{code};
}

sub content {
    my $self = shift;
    $self->{content} = shift if @_;
    return $self->{content};
}

# Multiple fields of the same name are joined with ", " in scalar context
# (HTTP::Headers behaviour); "_" in the asked name matches "-".
sub header {
    my ($self, $name) = @_;
    my $want = lc $name;
    $want =~ tr/_/-/ unless $want =~ /^:/;
    my @vals;
    my $h = $self->{headers};
    for (my $i = 0; $i < @$h; $i += 2) {
        push @vals, $h->[$i + 1] if lc($h->[$i]) eq $want;
    }
    return @vals if wantarray;
    return undef unless @vals;
    return join ', ', @vals;
}

# ---------------------------------------------------------------------------
# The module proper.
# ---------------------------------------------------------------------------
package Test::Nginx::Socket;
use strict;
use warnings;

our $VERSION = '0.33_compat';

use Test::More ();
use Carp ();
use Cwd ();
use File::Path ();
use File::Spec ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util ();
use POSIX ();
use Scalar::Util ();
use Time::HiRes ();
use Errno ();

sub _sleep { Time::HiRes::sleep($_[0]) if $_[0] && $_[0] > 0 }
sub _now   { Time::HiRes::time() }

# ------------------------------------------------------------------ settings

our $NginxBinary       = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers           = 1;
our $WorkerConnections = 64;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $ServerPort        = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
our $ServerAddr        = '127.0.0.1';
our $ServerName        = 'localhost';
our $NoRootLocation    = 0;
our $TestNginxSleep    = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $StartTimeout      = $ENV{TEST_NGINX_START_TIMEOUT} || 30;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $RepeatEach        = 1;
our $NoLongString      = 0;
our $CheckAccumErrLog  = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $LoadModules       = $ENV{TEST_NGINX_LOAD_MODULES};
our $EventType         = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput    = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $ReusePort         = $ENV{TEST_NGINX_REUSE_PORT};
our $WorkerUser        = $ENV{TEST_NGINX_WORKER_USER};
our $Verbose           = $ENV{TEST_NGINX_VERBOSE};
our $Randomize         = $ENV{TEST_NGINX_RANDOMIZE};
our $UseValgrind       = $ENV{TEST_NGINX_USE_VALGRIND};
our $ConfigPreamble    = '';
our $FilterHttpConfig;
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our @TestCleanupHandlers;
our @ResponseBodyChecks;

if (defined $WorkerUser && $WorkerUser !~ /^\w[-\w]+(?:\s+\w[-\w]+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

if ($Randomize) {
    $ServerPort = _gen_rand_port({});
    die "Cannot find an available listening port number\n"
        unless defined $ServerPort;
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $Randomize
    ? File::Spec->rel2abs("t/servroot_$ServerPort")
    : File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
our $CacheDir   = "$ServRoot/cache";
our $StderrFile = "$LogDir/nginx.stderr";

# --------------------------------------------------------------- run state

our $NginxPid;          # our nginx child (master or single process)
our $PrevConfig;
our $PrevBlock;
our $ErrLogFilePos = 0;
our $FirstTime = 1;
our %RandPorts;
our $TotalConnectingTimeouts = 0;
our ($NginxVersion, $NginxRawVersion, $NginxV);
our $InChild = 0;
our $NoPlanDeclared = 0;

# ---------------------------------------------------------------- exports

our @TestMoreExports = qw(
    ok is isnt like unlike is_deeply cmp_ok skip todo_skip pass fail
    eq_array eq_hash eq_set plan can_ok isa_ok diag use_ok $TODO
);

my @OurExports = qw(
    env_to_nginx is_str run_tests run_test repeat_each config_preamble
    worker_connections master_process_enabled no_long_string workers
    master_on master_off log_level no_shuffle no_root_location use_hup
    server_name server_addr server_root html_dir server_port
    server_port_for_client timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_test_cleanup_handler
    add_cleanup_handler add_response_body_check
    blocks next_block first_block filters no_diff
);

my @CarpExports = qw(croak carp cluck confess);

sub import {
    my $class = shift;
    my $caller = caller;

    # Test::Base (which the real module is built on) runs every test file
    # under "use strict; use warnings".  Do the same for the caller's file.
    strict->import;
    warnings->import;

    # Test::More functions (and any plan given on the "use" line, e.g.
    # 'no_plan' or tests => N) go straight through Test::More's importer.
    my @plan = grep { defined } @_;
    my $code = "package $caller; Test::More->import("
             . "import => [\@Test::Nginx::Socket::TestMoreExports], \@plan); 1";
    eval $code or die $@;

    no strict 'refs';
    for my $f (@OurExports) {
        *{"${caller}::$f"} = \&{"Test::Nginx::Socket::$f"};
    }
    for my $f (@CarpExports) {
        *{"${caller}::$f"} = \&{"Carp::$f"};
    }
}

# ---------------------------------------------------------- configuration API

sub env_to_nginx (@) {
    Carp::croak("env_to_nginx: no arguments specified") unless @_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            Carp::croak("env_to_nginx: bad argument value: $v\n");
        }
        push @EnvToNginx, $v;
    }
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub config_preamble ($) { $ConfigPreamble = shift }

sub worker_connections (@) {
    if (@_) { $WorkerConnections = shift; return }
    return $WorkerConnections;
}

sub workers (@) {
    if (@_) { $Workers = shift; return }
    return $Workers;
}

sub master_on ()  { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }

sub master_process_enabled (@) {
    if (@_) { $MasterProcessEnabled = shift() ? 'on' : 'off'; return }
    return $MasterProcessEnabled;
}

sub no_long_string () { $NoLongString = 1 }

sub log_level (@) {
    if (@_) { $LogLevel = shift; return }
    return $LogLevel;
}

sub no_shuffle ()       { $NoShuffle = 1 }
sub no_root_location () { $NoRootLocation = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }

sub use_hup () {
    warn "WARNING: use_hup() is not supported by the compat Test::Nginx::Socket;"
       . " nginx is restarted for every block instead.\n";
}

sub no_nginx_manager () {
    Carp::croak("no_nginx_manager() is not supported by the compat "
                . "Test::Nginx::Socket");
}

sub server_name (@) {
    if (@_) { $ServerName = shift; return }
    return $ServerName;
}

sub server_addr (@) {
    if (@_) { $ServerAddr = shift; return }
    return $ServerAddr;
}

sub server_port (@) {
    if (@_) { $ServerPort = shift; return }
    return $ServerPort;
}

sub server_port_for_client (@) {
    if (@_) { $ServerPortForClient = shift; return }
    return $ServerPortForClient;
}

sub server_root () { $ServRoot }
sub html_dir ()    { $HtmlDir }

sub timeout (@) {
    if (@_) { $Timeout = shift; return }
    return $Timeout;
}

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)      { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }
sub add_response_body_check ($)  { push @ResponseBodyChecks, shift }
sub set_http_config_filter ($)   { $FilterHttpConfig = shift }

sub no_diff { $ENV{TEST_SHOW_NO_DIFFS} = 1 }

sub bail_out (@) {
    cleanup();
    my $msg = join '', @_;
    # TAP only shows the first line of a bail-out reason: print the details
    # (e.g. nginx's stderr) as diagnostics first.
    my ($first, $rest) = split /\n/, $msg, 2;
    $first = '' unless defined $first;
    Test::More::diag($rest) if defined $rest && $rest =~ /\S/;
    Test::More::BAIL_OUT($first);
}

# ------------------------------------------------------------ string checks

sub _show_chars {
    my $s = shift;
    return 'undef' unless defined $s;
    $s =~ s/\\/\\\\/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/([\x00-\x1f\x7f-\xff])/sprintf('\\x{%02x}', ord $1)/ge;
    $s =~ s/([^\x00-\xff])/sprintf('\\x{%x}', ord $1)/ge;
    return qq{"$s"};
}

# Equivalent of Test::LongString::is_string: on failure, shows where the two
# strings start to differ instead of dumping both of them.
sub _is_string {
    my ($got, $expected, $desc) = @_;
    my $tb = Test::More->builder;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if (!defined $got || !defined $expected) {
        my $ok = !defined $got && !defined $expected;
        $tb->ok($ok, $desc);
        $tb->diag("         got: " . _show_chars($got) . "\n"
                . "    expected: " . _show_chars($expected)) unless $ok;
        return $ok;
    }

    if ($got eq $expected) {
        return $tb->ok(1, $desc);
    }

    $tb->ok(0, $desc);

    my $pos = 0;
    my $max = length($got) < length($expected) ? length($got) : length($expected);
    $pos++ while $pos < $max && substr($got, $pos, 1) eq substr($expected, $pos, 1);

    my $prefix = substr($expected, 0, $pos);
    my $line = ($prefix =~ tr/\n//) + 1;
    my $col = $pos - (rindex($prefix, "\n") + 1) + 1;

    my $start = $pos > 20 ? $pos - 20 : 0;
    my $ctx = 70;
    my $g = substr($got, $start, $ctx);
    my $e = substr($expected, $start, $ctx);
    my $more_g = length($got) > $start + $ctx ? '...' : '';
    my $more_e = length($expected) > $start + $ctx ? '...' : '';
    my $pre = $start > 0 ? '...' : '';

    $tb->diag("         got: $pre" . _show_chars($g) . "$more_g\n"
            . "      length: " . length($got) . "\n"
            . "    expected: $pre" . _show_chars($e) . "$more_e\n"
            . "      length: " . length($expected) . "\n"
            . "    strings begin to differ at char " . ($pos + 1)
            . " (line $line column $col)");
    return 0;
}

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    if ($NoLongString) {
        return Test::More::is($got, $expected, $desc);
    }
    return _is_string($got, $expected, $desc);
}

# ---------------------------------------------------- Test::Base-style data

my $Spec;           # raw __DATA__ text
my $BlockList;      # parsed (unfiltered) blocks
my %FiltersMap;     # filters { section => [...] }
my @DefaultFilters = qw(norm trim);

my %ReservedSections = map { $_ => 1 } qw(
    new DESTROY AUTOLOAD set_value run_filters is_filtered seq_num
    blocks_object original_values block_accessor import BEGIN END ISA EXPORT
);

sub _read_spec {
    return $Spec if defined $Spec;
    no warnings 'once';
    my $fh = Scalar::Util::openhandle(\*main::DATA);
    if ($fh) {
        local $/;
        $Spec = <$fh>;
    }
    $Spec = '' unless defined $Spec;
    return $Spec;
}

sub _pre_eval {
    my $spec = shift;
    if ($spec =~ s/\A\s*<<<(.*?)>>>\s*$//sm) {
        my $code = $1;
        eval "package main; $code";
        Carp::croak($@) if $@;
    }
    return $spec;
}

sub _block_list {
    return $BlockList if $BlockList;
    my $spec = _pre_eval(_read_spec());
    my @hunks = ($spec =~ /^(===.*?(?=^===|\z))/msg);
    my @blocks;
    for my $hunk (@hunks) {
        my $block = _make_block($hunk);
        if (exists $block->{ONLY}) {
            Test::More::diag("I found ONLY: maybe you're debugging?");
            @blocks = ($block);
            last;
        }
        next if exists $block->{SKIP};
        push @blocks, $block;
        last if exists $block->{LAST};
    }
    my $seq = 1;
    $_->{_seq_num} = $seq++ for @blocks;
    $BlockList = \@blocks;
    return $BlockList;
}

sub _make_block {
    my $hunk = shift;
    my $block = Test::Nginx::Socket::Block->new;
    $hunk =~ s/\A===[ \t]*(.*)\s+// or die "bad block: $hunk";
    my $name = $1;
    my @parts = split /^--- +\(?(\w+)\)? *(.*)?\n/m, $hunk;
    my $description = shift @parts;
    $description = '' unless defined $description;
    $description = $name unless $description =~ /\S/;
    $description =~ s/\s*\z//;
    $block->set_value(description => $description);

    my (%map, @order);
    while (@parts) {
        my ($type, $filters, $value) = splice(@parts, 0, 3);
        if ($ReservedSections{$type} || $type =~ /^_/) {
            Carp::croak("'$type' is a reserved name. Use something else.\n");
        }
        $value = '' unless defined $value;
        $filters = '' unless defined $filters;
        if ($filters =~ /:(\s|\z)/) {
            Carp::croak("Extra lines not allowed in '$type' section")
                if $value =~ /\S/;
            ($filters, $value) = split /\s*:(?:\s+|\z)/, $filters, 2;
            $value = '' unless defined $value;
            $value =~ s/^\s*(.*?)\s*$/$1/;
        }
        $map{$type} = $filters;
        push @order, $type;
        $block->set_value($type, $value);
    }
    $block->set_value(name => $name);
    $block->{_section_map} = \%map;
    $block->{_section_order} = \@order;
    return $block;
}

sub _filter_args {
    my $args = shift;
    return undef unless defined $args;
    $args =~ s/(\\s)/ /g;
    $args =~ s/(\\[a-z])/'"' . $1 . '"'/gee;
    return $args;
}

sub _assert_scalar {
    my ($filter, @v) = @_;
    return if @v == 1;
    Carp::croak("Input to the '$filter' filter must be a scalar, not a list");
}

my %Filters;
%Filters = (
    norm => sub {
        my ($args, @v) = @_;
        _assert_scalar('norm', @v);
        my $t = $v[0];
        $t = '' unless defined $t;
        $t =~ s/\015\012/\n/g;
        $t =~ s/\r/\n/g;
        return $t;
    },
    trim => sub {
        my ($args, @v) = @_;
        return map {
            my $x = $_;
            if (defined $x) {
                $x =~ s/\A([ \t]*\n)+//;
                $x =~ s/(?<=\n)\s*\z//g;
            }
            $x;
        } @v;
    },
    chomp   => sub { my ($args, @v) = @_; map { my $x = $_; chomp $x; $x } @v },
    chop    => sub { my ($args, @v) = @_; map { my $x = $_; chop $x; $x } @v },
    unchomp => sub { my ($args, @v) = @_; map { $_ . "\n" } @v },
    eval    => sub {
        my ($args, @v) = @_;
        _assert_scalar('eval', @v);
        return Test::Nginx::Socket::Filter::_eval_section($v[0]);
    },
    escape => sub {
        my ($args, @v) = @_;
        _assert_scalar('escape', @v);
        my $t = $v[0];
        $t =~ s/(\\.)/eval "qq{$1}"/ge;
        return $t;
    },
    lines => sub {
        my ($args, @v) = @_;
        _assert_scalar('lines', @v);
        my $t = $v[0];
        return () unless length $t;
        return ($t =~ /^(.*\n?)/gm);
    },
    join => sub {
        my ($args, @v) = @_;
        my $s = _filter_args($args);
        $s = '' unless defined $s;
        return join $s, @v;
    },
    split => sub {
        my ($args, @v) = @_;
        _assert_scalar('split', @v);
        my $sep = _filter_args($args);
        if (defined $sep and $sep =~ s{^/(.*)/$}{$1}) {
            $sep = qr{$sep};
        }
        $sep = qr/\s+/ unless $sep;
        return split $sep, $v[0];
    },
    regexp => sub {
        my ($args, @v) = @_;
        _assert_scalar('regexp', @v);
        my $text = $v[0];
        my $flags = _filter_args($args);
        if ($text =~ /\n.*?\n/s) {
            $flags = 'xism' unless defined $flags;
        } else {
            chomp $text;
        }
        $flags ||= '';
        my $re = eval "qr{$text}$flags";
        die $@ if $@;
        return $re;
    },
    array   => sub { my ($args, @v) = @_; return [@v] },
    hash    => sub { my ($args, @v) = @_; return +{@v} },
    reverse => sub { my ($args, @v) = @_; return reverse @v },
    sort    => sub { my ($args, @v) = @_; return sort @v },
    append  => sub { my ($args, @v) = @_; my $s = _filter_args($args); map { $_ . $s } @v },
    prepend => sub { my ($args, @v) = @_; my $s = _filter_args($args); map { $s . $_ } @v },
    head => sub {
        my ($args, @v) = @_;
        my $n = _filter_args($args) || 1;
        return splice(@v, 0, $n);
    },
    tail => sub {
        my ($args, @v) = @_;
        my $n = _filter_args($args) || 1;
        return splice(@v, @v - $n, $n);
    },
    base64_decode => sub {
        my ($args, @v) = @_;
        _assert_scalar('base64_decode', @v);
        require MIME::Base64;
        return MIME::Base64::decode_base64($v[0]);
    },
    base64_encode => sub {
        my ($args, @v) = @_;
        _assert_scalar('base64_encode', @v);
        require MIME::Base64;
        return MIME::Base64::encode_base64($v[0]);
    },
    strict => sub {
        my ($args, @v) = @_;
        _assert_scalar('strict', @v);
        return "use strict;\nuse warnings;\n" . $v[0];
    },
    read_file => sub {
        my ($args, @v) = @_;
        _assert_scalar('read_file', @v);
        my $file = $v[0];
        chomp $file;
        open my $fh, '<', $file or die "Can't open '$file' for input:\n$!";
        local $/;
        return scalar <$fh>;
    },
);

sub _section_filters {
    my ($type, $string) = @_;
    $string = '' unless defined $string;
    $string =~ s/^\s+|\s+$//g;
    my $map = $FiltersMap{$type} || [];
    $map = [$map] unless ref $map;
    my (@filters, @append);
    for my $f (@DefaultFilters, @$map, split(/\s+/, $string)) {
        last unless length $f;
        my $filter = $f;
        if ($filter =~ s/^-//) {
            @filters = grep { $_ ne $filter } @filters;
        } elsif ($filter =~ s/^\+//) {
            push @append, $filter;
        } else {
            push @filters, $filter;
        }
    }
    return (@filters, @append);
}

sub _run_filters {
    my $block = shift;
    return if $block->{_is_filtered};
    for my $type (@{ $block->{_section_order} }) {
        my @value = $block->_get($type);
        $block->{original_values}{$type} = $value[0];
        for my $spec (_section_filters($type, $block->{_section_map}{$type})) {
            my $filter = $spec;
            my $args = $filter =~ s/=(.*)$// ? $1 : undef;
            no strict 'refs';
            my $function = "main::$filter";
            if (defined &$function) {
                no warnings 'once';
                local $Test::Base::Filter::arguments = $args;
                local $_ = (@value == 1 and not defined $value[0])
                           ? undef : join '', @value;
                my $old = $_;
                @value = &$function(@value);
                if (!@value
                    or @value == 1 and defined $value[0]
                       and $value[0] =~ /\A(\d+|)\z/)
                {
                    if ($value[0] && defined $_ && defined $old && $_ eq $old) {
                        Test::More::diag("Filters returning numbers are "
                            . "supposed to do munging \$_: your filter "
                            . "'$function' apparently doesn't.");
                    }
                    @value = ($_);
                }
            } elsif (my $code = $Filters{$filter}) {
                @value = $code->($args, @value);
            } else {
                die "Can't find a function or method for '$filter' filter\n";
            }
            $block->set_value($type, @value);
        }
    }
    $block->{_is_filtered} = 1;
}

sub blocks {
    my $section = shift;
    my @blocks = @{ _block_list() };
    @blocks = grep { exists $_->{$section} } @blocks if $section;
    return scalar(@blocks) unless wantarray;
    _run_filters($_) for @blocks;
    return @blocks;
}

my @NextList;
my $NextStarted;
sub next_block {
    if (!$NextStarted || !@NextList) {
        @NextList = (@{ _block_list() }, undef);
        $NextStarted = 1;
    }
    my $block = shift @NextList;
    @NextList = () unless defined $block;
    $NextStarted = 0 unless defined $block;
    _run_filters($block) if defined $block;
    return $block;
}

sub first_block {
    $NextStarted = 0;
    @NextList = ();
    return next_block();
}

sub filters {
    if (ref $_[0] eq 'HASH') {
        %FiltersMap = %{ $_[0] };
    } else {
        push @DefaultFilters, @_;
    }
}

# ------------------------------------------------------------- misc helpers

sub parse_time ($) {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    return $str;
}

sub _port_in_use {
    my $port = shift;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Proto => 'tcp', ReuseAddr => 1, Listen => 1);
    return 1 unless $s;
    close $s;
    return 0;
}

sub _gen_rand_port {
    my $used = shift;
    for (1 .. 1000) {
        my $port = 1025 + int(rand(65535 - 1025));
        next if $used->{$port};
        return $port unless _port_in_use($port);
    }
    return undef;
}

sub expand_env_in_text ($$) {
    my ($text, $name) = @_;
    return undef unless defined $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            if (!defined $RandPorts{$var}) {
                my %used = ($ServerPort => 1, map { $_ => 1 } values %RandPorts);
                my $p = _gen_rand_port(\%used);
                bail_out("$name - Cannot find an available listening port "
                         . "number for $var.\n") unless defined $p;
                $RandPorts{$var} = $p;
            }
            $val = $RandPorts{$var};
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $val = $ENV{$var};
        }
        $val;
    }ge;
    return $text;
}

sub _nginx_V {
    return $NginxV if defined $NginxV;
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out = '' unless defined $out;
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }
    $NginxV = $out;
    return $NginxV;
}

sub get_canon_version (@) { sprintf "%d.%03d%03d", $_[0], $_[1], $_[2] }

sub get_nginx_version () {
    return $NginxVersion if defined $NginxVersion;
    my $out = _nginx_V();
    if ($out =~ m{(?:nginx|openresty+?)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        $NginxVersion = get_canon_version($1, $2, $3);
        return $NginxVersion;
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub _can_run {
    my $cmd = shift;
    if ($cmd =~ m{/}) {
        return (-f $cmd && -x $cmd) ? $cmd : undef;
    }
    for my $dir ((split /:/, $ENV{PATH} || ''), '.') {
        next if $dir eq '';
        my $abs = "$dir/$cmd";
        return $abs if -f $abs && -x $abs;
    }
    return undef;
}

# ----------------------------------------------------------- nginx control

sub _nginx_alive {
    return 0 unless defined $NginxPid;
    my $r = waitpid($NginxPid, POSIX::WNOHANG());
    if ($r == $NginxPid || $r == -1) {
        if ($r == $NginxPid) {
            my $st = $?;
            my $how = ($st & 127)
                ? "killed by signal " . ($st & 127)
                  . (($st & 128) ? " (core dumped)" : '')
                : "exit code " . ($st >> 8);
            warn "WARNING: nginx (pid $NginxPid) exited unexpectedly: $how\n";
        }
        undef $NginxPid;
        return 0;
    }
    return 1;
}

sub _kill_group_leftovers {
    my $pgid = shift;
    # workers (master_on) live in the process group of our child
    if (kill(0, -$pgid)) {
        kill('KILL', -$pgid);
    }
}

# Stop our nginx child: QUIT (or TERM with TEST_NGINX_FAST_SHUTDOWN), wait up
# to timeout() seconds, then SIGKILL the whole process group.
sub _stop_nginx {
    my ($name) = @_;
    return unless defined $NginxPid;
    my $pid = $NginxPid;
    undef $NginxPid;

    my $r = waitpid($pid, POSIX::WNOHANG());
    if ($r == 0) {
        my $sig = $ENV{TEST_NGINX_FAST_SHUTDOWN} ? 'TERM' : 'QUIT';
        kill($sig, $pid);
        my $start = _now();
        my $deadline = $start + ($Timeout || 3);
        my $resend = $start + 0.25;
        my $step = 0.002;
        while (1) {
            $r = waitpid($pid, POSIX::WNOHANG());
            last if $r != 0;
            if (_now() > $resend) {
                # a signal that arrived just before nginx entered its event
                # loop can leave it blocked in epoll_wait(): poke it again
                kill($sig, $pid);
                $resend = _now() + 0.25;
            }
            if (_now() > $deadline) {
                warn "$name - timeout when waiting for the process $pid to exit\n";
                kill('KILL', -$pid);
                kill('KILL', $pid);
                waitpid($pid, 0);
                last;
            }
            _sleep($step);
            $step *= 1.5;
            $step = 0.02 if $step > 0.02;
        }
    }
    _kill_group_leftovers($pid);
}

sub _hard_kill_nginx {
    return unless defined $NginxPid;
    my $pid = $NginxPid;
    undef $NginxPid;
    kill('KILL', -$pid);
    kill('KILL', $pid);
    waitpid($pid, 0);
}

sub _spawn_nginx {
    my @cmd = ($NginxBinary);
    if (get_nginx_version() >= 1.019005) {
        push @cmd, '-e', $ErrLogFile;
    }
    push @cmd, '-p', "$ServRoot/", '-c', $ConfFile;

    # as the real module: a number means its default memcheck options,
    # anything else is the options themselves
    if ($UseValgrind) {
        my @opts = $UseValgrind =~ /^\d+$/
            ? ('--tool=memcheck', '--leak-check=full', '--keep-debuginfo=yes')
            : split ' ', $UseValgrind;
        push @opts, '--suppressions=valgrind.suppress'
            if $UseValgrind =~ /^\d+$/ && -f 'valgrind.suppress';
        # (compat only) one report file a process, for a script to read
        push @opts, "--log-file=$ENV{TEST_NGINX_VALGRIND_LOG_DIR}/%p.log"
            if $ENV{TEST_NGINX_VALGRIND_LOG_DIR};
        unshift @cmd, 'valgrind', '-q', @opts, '--gen-suppressions=all';
    }

    my $pid = fork();
    bail_out("fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        $InChild = 1;
        eval {
            POSIX::setpgid(0, 0);
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', $StderrFile;
            exec { $cmd[0] } @cmd;
        };
        POSIX::_exit(127);
    }
    warn "started nginx (pid $pid): @cmd\n" if $Verbose;
    return ($pid, "@cmd");
}

# Wait until nginx has either exited or written its pid file (which nginx
# does right after the configuration was loaded and the listening sockets
# were opened, i.e. where a daemonising nginx would return to its caller).
sub _wait_nginx_ready {
    my ($pid, $limit) = @_;
    my $deadline = _now() + $limit;
    my $step = 0.001;
    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        if ($r == $pid) {
            return ('exited', $?);
        }
        if (-s $PidFile) {
            if (open my $in, '<', $PidFile) {
                my $p = do { local $/; <$in> };
                close $in;
                if (defined $p && $p =~ /^\s*(\d+)\s*$/ && $1 == $pid) {
                    return ('ready', 0);
                }
            }
        }
        if (_now() > $deadline) {
            return ('timeout', 0);
        }
        _sleep($step);
        $step *= 1.5;
        $step = 0.02 if $step > 0.02;
    }
}

sub _slurp {
    my $file = shift;
    open my $in, '<', $file or return '';
    local $/;
    my $d = <$in>;
    close $in;
    return defined $d ? $d : '';
}

sub _tail_file {
    my ($file, $n) = @_;
    my @lines = split /\n/, _slurp($file);
    @lines = @lines[-$n .. -1] if @lines > $n;
    return join "\n", @lines;
}

sub cleanup () {
    for my $hdl (@CleanupHandlers) {
        $hdl->();
    }
    _stop_nginx('cleanup') if defined $NginxPid && !$InChild;
}

sub _install_signal_handlers {
    for my $sig (qw(INT TERM HUP PIPE)) {
        my $cur = $SIG{$sig};
        next if defined $cur && $cur ne '' && $cur ne 'DEFAULT';
        $SIG{$sig} = sub {
            _hard_kill_nginx();
            $SIG{$sig} = 'DEFAULT';
            kill $sig, $$;
        };
    }
}

# ------------------------------------------------------- server root / conf

sub setup_server_root ($) {
    my $first_time = shift;
    if (-d $ServRoot) {
        # Only remove what we create, so a mis-set TEST_NGINX_SERVROOT
        # cannot wipe real data.
        File::Path::remove_tree($ConfDir, glob("$ServRoot/*_cache"),
                                glob("$ServRoot/*_temp"));
        File::Path::remove_tree($CacheDir, $HtmlDir, $LogDir);
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        if (!-d $d) {
            mkdir $d or bail_out("Failed to do mkdir $d: $!\n");
        }
    }
    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
             . '<body>It works!</body></html>';
    close $out;
}

sub run_customer_init_script ($) {
    my $block = shift;
    my $code = $block->post_setup_server_root;
    if ($code) {
        eval $code;
        bail_out($block->name . " - post_setup_server_root failed: $@") if $@;
    }
}

sub write_user_files ($) {
    my $block = shift;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);
        for my $line (split /^/m, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if $fname;
                ($fname, $date) = ($1, $2);
                undef $body;
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if $fname;
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            if (!-d $dir) {
                File::Path::make_path($dir)
                    or bail_out("$name - Cannot create directory $dir");
            }
        }
        $body = expand_env_in_text($body, $name);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' '$path'";
            system($cmd) == 0 or bail_out("Failed to run shell command: $cmd\n");
        }
    }
}

sub write_config_file ($$) {
    my ($block, $config) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text(scalar($block->http_config), $name);
    my $main_config = $block->main_config;
    my $post_main_config = $block->post_main_config;
    my $err_log_file = $block->error_log_file;
    my $server_name = $block->server_name;

    $config = '' unless defined $config;
    $http_config = '' unless defined $http_config;
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    my $postpone = $PostponeOutput;
    undef $postpone if $http_config =~ /\bpostpone_output\b/;
    my $extra_http_config = '';
    if (defined $postpone) {
        bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $postpone\n")
            if $postpone !~ /^\d+$/;
        $extra_http_config = "\n    postpone_output $postpone;\n";
    }

    $main_config = '' unless defined $main_config;
    if ($LoadModules) {
        my @mods = map { "load_module $_;" } grep { $_ } split /\s+/, $LoadModules;
        $main_config = join ' ', @mods, $main_config if @mods;
    }
    $main_config = expand_env_in_text($main_config, $name);

    $post_main_config = '' unless defined $post_main_config;
    $post_main_config = expand_env_in_text($post_main_config, $name);

    $err_log_file = $ErrLogFile unless $err_log_file;
    $err_log_file = expand_env_in_text($err_log_file, $name);

    $server_name = $ServerName unless defined $server_name;

    my $nginx_V = _nginx_V();
    my @temp_paths;
    push @temp_paths, "client_body_temp_path $ServRoot/client_body_temp;"
        unless $http_config =~ /\bclient_body_temp_path\b/;
    push @temp_paths, "proxy_temp_path $ServRoot/proxy_temp;"
        unless $http_config =~ /\bproxy_temp_path\b/;
    push @temp_paths, "fastcgi_temp_path $ServRoot/fastcgi_temp;"
        unless $nginx_V =~ /--without-http_fastcgi_module/;
    push @temp_paths, "scgi_temp_path $ServRoot/scgi_temp;"
        unless $nginx_V =~ /--without-http_scgi_module/;
    push @temp_paths, "uwsgi_temp_path $ServRoot/uwsgi_temp;"
        unless $nginx_V =~ /--without-http_uwsgi_module/;
    my $temp_paths = join ' ', @temp_paths;

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    my $env_lines = '';
    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN MOCKEAGAIN_WRITE_TIMEOUT_PATTERN
                  LD_PRELOAD LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                  DYLD_FORCE_FLAT_NAMESPACE), @EnvToNginx)
    {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        $env_lines .= "env $e;\n";
    }

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $events_extra = $EventType ? "    use $EventType;\n" : '';

    my $user = '';
    if (defined $WorkerUser) {
        $user = "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    # Same layout as the real module's generated nginx.conf, except that
    # nginx runs in the foreground ("daemon off") as our child process.
    my $conf = <<"_EOC_";
worker_processes  $Workers;
daemon off;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
$env_lines
$main_config

http {
    access_log $AccLogFile; $temp_paths

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config
    server {
        listen          $ServerPort$listen_opts;
        server_name     '$server_name';
        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
$extra_http_config}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
$events_extra}

env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_

    open my $out, '>', $ConfFile or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out $conf;
    close $out;
}

# ------------------------------------------------------------- log reading

sub error_log_data () {
    # give nginx a moment for log-phase output after the connection closed
    _sleep($TestNginxSleep * 3);
    open my $in, '<', $ErrLogFile or return undef;
    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    $ErrLogFilePos = tell($in) unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub access_log_data () {
    _sleep($TestNginxSleep * 3);
    open my $in, '<', $AccLogFile or die "open $AccLogFile failed: $!";
    my @lines = <$in>;
    close $in;
    return \@lines;
}

sub _normalize_pats {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub _value_contains {
    my ($val, $pat) = @_;
    if (!ref $val || ref $val eq 'Regexp') {
        return $val =~ /\Q$pat\E/;
    }
    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if _value_contains($v, $pat);
        }
    }
    return undef;
}

sub _line_matches {
    my ($line, $pat) = @_;
    return 1 if ref $pat && $line =~ /$pat/;
    return $line =~ /\Q$pat\E/;
}

# --- error_log / access_log style: each pattern must match some line
# (one test per pattern).
sub _check_log_has {
    my ($name, $what, $pats, $lines, $suffix) = @_;
    $pats = _normalize_pats($pats);
    for my $line (@$lines) {
        for my $pat (@$pats) {
            next unless defined $pat;
            if (_line_matches($line, $pat)) {
                Test::More::pass("$name - pattern \"$pat\" matches a line in $what$suffix");
                undef $pat;
            }
        }
    }
    for my $pat (@$pats) {
        next unless defined $pat;
        Test::More::fail("$name - pattern \"$pat\" should match a line in $what$suffix");
    }
}

# --- no_error_log style: one passing test per pattern not found, one failing
# test per matching line otherwise.
sub _check_log_lacks {
    my ($name, $what, $pats, $lines, $suffix, $more_context) = @_;
    $pats = _normalize_pats($pats);
    my %found;
    my $i = 0;
    for my $line (@$lines) {
        for my $pat (@$pats) {
            next unless defined $pat;
            if (_line_matches($line, $pat)) {
                if ($found{$pat}) {
                    Test::More->builder->no_ending(1);
                } else {
                    $found{$pat} = 1;
                }
                my $ln = fmt_str($line);
                my $p = fmt_str($pat);
                my $more = '';
                if ($more_context) {
                    my $end = List::Util::min($i + 10, @$lines - 1);
                    $more = join '', @{$lines}[$i + 1 .. $end - 1] if $end > $i + 1;
                }
                Test::More::fail("$name - pattern \"$p\" should not match any "
                    . "line in $what but matches line \"$ln\"$suffix"
                    . ($more_context ? "\n$more" : ''));
            }
        }
        $i++;
    }
    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        my $p = fmt_str($pat);
        Test::More::pass("$name - pattern \"$p\" does not match a line in $what$suffix");
    }
}

sub check_error_log {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;

    my %warn_on = (alert => 1, crit => 1, emerg => 1);

    my $grep_pat;
    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        $grep_pat = (ref $grep_pats && ref $grep_pats eq 'ARRAY')
                    ? $grep_pats->[$repeated_req_idx] : $grep_pats;
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but "
                 . "--- grep_error_log is defined") unless defined $expected;
        $expected = expand_env_in_text($expected, $name) unless ref $expected;
        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }
        $lines ||= error_log_data();
        my $matched = '';
        for my $line (@$lines) {
            if (ref $grep_pat && $line =~ /$grep_pat/ || $line =~ /\Q$grep_pat\E/) {
                my $m = $&;
                $matched .= "$m\n" if $m !~ /\n/;
            }
        }
        if (ref $expected eq 'Regexp') {
            Test::More::like($matched, $expected,
                "$name - grep_error_log_out (req $repeated_req_idx)");
        } else {
            is_str($matched, $expected,
                "$name - grep_error_log_out (req $repeated_req_idx)");
        }
    }

    for my $sect (qw(error_log no_error_log)) {
        my $pats = $block->$sect;
        next unless defined $pats;
        for my $lvl (keys %warn_on) {
            delete $warn_on{$lvl} if _value_contains($pats, "[$lvl");
        }
        $lines ||= error_log_data();
        if ($sect eq 'error_log') {
            _check_log_has($name, 'error.log', $pats, $lines,
                           " (req $repeated_req_idx)");
        } else {
            _check_log_lacks($name, 'error.log', $pats, $lines,
                             " (req $repeated_req_idx)", 1);
        }
    }

    if (%warn_on) {
        $lines ||= error_log_data();
        for my $line (@$lines) {
            for my $lvl (sort keys %warn_on) {
                if ($line =~ /\[$lvl\]/) {
                    warn "WARNING: $name - " . fmt_str($line) . "\n";
                }
            }
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            Test::More->builder->no_ending(1);
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l\n");
        }
    }
}

sub check_access_log {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $lines;
    if (defined $block->access_log) {
        $lines ||= access_log_data();
        _check_log_has($name, 'access.log', scalar($block->access_log), $lines,
                       " (req $repeated_req_idx)");
    }
    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        _check_log_lacks($name, 'access.log', scalar($block->no_access_log), $lines,
                         " (req $repeated_req_idx)", 1);
    }
}

sub check_shutdown_error_log {
    my ($block) = @_;
    my $name = $block->name;
    my $lines;
    if (defined $block->shutdown_error_log) {
        $lines ||= error_log_data();
        _check_log_has($name, 'error.log', scalar($block->shutdown_error_log), $lines, '');
        for my $line (@$lines) {
            if ($line =~ /\bAssertion .*? failed\.$/) {
                Test::More->builder->no_ending(1);
                my $l = $line;
                chomp $l;
                Test::More::fail("$name - $l");
            }
        }
    }
    if (defined $block->no_shutdown_error_log) {
        $lines ||= error_log_data();
        _check_log_lacks($name, 'error.log', scalar($block->no_shutdown_error_log),
                         $lines, '', 0);
    }
}

sub _check_prev_block_shutdown_error_log {
    my $block = $PrevBlock;
    return unless defined $block;
    return if $ENV{TEST_NGINX_NO_CLEAN};
    if (defined $block->shutdown_error_log
        || defined $block->no_shutdown_error_log)
    {
        check_shutdown_error_log($block);
    }
}

# ------------------------------------------------------- building requests

sub _parse_more_headers {
    my $in = shift;
    my $is_chunked;
    my $out = '';
    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val = '' unless defined $val;
        $is_chunked = 1 if lc($key) eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# Turns the "--- request" text (first line "METHOD [URI [VERSION]]", the
# rest being the body) into the raw request, keeping the split of the
# original text into packets.
sub _build_request {
    my ($name, $more_headers, $is_chunked, $conn, $packets) = @_;

    my $all = join '', map { defined $_ ? $_ : '' } @$packets;
    $all =~ /\A([^\n]*\n?)/;
    my $first = $1;
    bail_out("$name - Request line should be non-empty") unless length $first;

    my @m = $first =~ /^(\s*)(\S+)( *)((\S+)( *))?((\S+)( *))?(\s*)$/;
    bail_out("$name - Request line is not valid. Should be 'meth [url "
             . "[version]]' but got \"$first\".") unless @m;
    my ($before, $meth, $after_meth) = @m[0, 1, 2];
    my ($url, $after_url) = @m[4, 5];
    my ($ver, $after_ver) = @m[7, 8];
    my $eol = $m[9];
    my $url_size = defined $url ? length $url : 0;
    my $ver_size = defined $ver ? length $ver : 0;
    $url = '/' unless defined $url;
    $ver = 'HTTP/1.1' unless defined $ver;

    my $content = substr($all, length $first);
    my $content_size = length $content;

    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;
    my $headers = '';
    $headers .= "Host: $ServerName\r\n" if $more_headers !~ /(?:^|\n)Host:/msi;
    $headers .= "Connection: $conn\r\n" if $more_headers !~ /(?:^|\n)Connection/msi;
    $headers .= "$more_headers$len_header\r\n";

    # [original length, replacement]
    my @segments = (
        [length($before), ''],
        [length($meth), "$meth "],
        [length($after_meth || ''), ''],
        [$url_size, "$url "],
        [length($after_url || ''), ''],
        [$ver_size, "$ver\r\n"],
        [length($after_ver || '') + length($eol || ''), ''],
        [0, $headers],
        [$content_size, $content],
    );

    my @pk = map { defined $_ ? $_ : '' } @$packets;
    my @out = ('') x @pk;
    my $pi = 0;
    my $avail = @pk ? length $pk[0] : 0;
    for my $seg (@segments) {
        my ($len, $repl) = @$seg;
        if ($len == 0) {
            $out[$pi] .= $repl;
            next;
        }
        while ($len > 0) {
            while ($avail == 0 && $pi < $#pk) {
                $pi++;
                $avail = length $pk[$pi];
            }
            my $take = $len < $avail ? $len : $avail;
            $take = $len if $take == 0;    # should not happen
            my $piece;
            if ($take < $len) {
                $piece = substr($repl, 0, $take);
                $repl = length($repl) > $take ? substr($repl, $take) : '';
            } else {
                $piece = $repl;
                $repl = '';
            }
            $out[$pi] .= $piece;
            $len -= $take;
            $avail -= $take;
        }
    }
    return \@out;
}

sub _strip_request {
    my $request = shift;
    if (defined $request && !ref $request) {
        while ($request =~ s/^\s*\#[^\n]+\s+|^\s+//gs) { }
    }
    return $request;
}

# Returns [ [ {value => ..., delay_before => ...}, ... ], ... ]: one entry per
# request (connection), each a list of packets.
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        if (ref $raw && ref $raw eq 'ARRAY') {
            push @req_list, [map { {value => $_} } @$raw];
        } else {
            push @req_list, [{value => $raw}];
        }
        return \@req_list;
    }

    my $more_headers = $block->more_headers || '';
    my $hdr_for = sub {
        my $i = shift;
        if (ref $more_headers eq 'ARRAY') {
            my $h = $more_headers->[$i];
            bail_out("--- more_headers lacks data for the request $i")
                unless defined $h;
            return _parse_more_headers($h);
        }
        return _parse_more_headers($more_headers);
    };

    if (scalar($block->pipelined_requests)) {
        my $reqs = $block->pipelined_requests;
        bail_out("$name - invalid entries in --- pipelined_requests")
            if !ref $reqs || ref $reqs ne 'ARRAY';
        my $prq = '';
        for my $i (0 .. $#$reqs) {
            my $r = expand_env_in_text($reqs->[$i], $name);
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            my ($hdr, $chunked) = $hdr_for->($i);
            $prq .= _build_request($name, $hdr, $chunked, $conn, [$r])->[0];
        }
        push @req_list, [{value => $prq}];
        return \@req_list;
    }

    my $request = _strip_request(scalar($block->request));

    if (!ref $request) {
        my ($hdr, $chunked) = $hdr_for->(0);
        my $r = _build_request($name, $hdr, $chunked, 'close', [$request]);
        push @req_list, [{value => $r->[0]}];

    } elsif (ref $request eq 'ARRAY') {
        my $i = 0;
        for my $one (@$request) {
            my ($hdr, $chunked) = $hdr_for->($i);
            if (!ref $one) {
                my $r = _build_request($name, $hdr, $chunked, 'close', [$one]);
                push @req_list, [{value => $r->[0]}];
            } elsif (ref $one eq 'ARRAY') {
                my @raw;
                for my $p (@$one) {
                    if (!ref $p) {
                        push @raw, $p;
                    } elsif (ref $p eq 'HASH') {
                        push @raw, $p->{value};
                    } else {
                        bail_out("$name - Invalid syntax. $p should be a "
                                 . "string or hash with value.");
                    }
                }
                my $out = _build_request($name, $hdr, $chunked, 'close', \@raw);
                my @pk;
                for my $idx (0 .. $#$out) {
                    my $orig = $one->[$idx];
                    if (ref $orig eq 'HASH') {
                        push @pk, {%$orig, value => $out->[$idx]};
                    } else {
                        push @pk, {value => $out->[$idx]};
                    }
                }
                push @req_list, \@pk;
            } else {
                bail_out("$name - Invalid syntax. $one should be a string "
                         . "or an array of packets.");
            }
            $i++;
        }
    } else {
        bail_out("$name - invalid ---request : MUST be string or array of requests");
    }
    return \@req_list;
}

# ------------------------------------------------------------- HTTP client

sub _send_request {
    my ($packets, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;

    local $SIG{PIPE} = 'IGNORE';

    my @bits = @$packets;
    my $head_req = (join('', map { defined $_->{value} ? $_->{value} : '' } @bits)
                    =~ /^\s*HEAD\s+/) ? 1 : 0;

    my $addr = $block->server_addr_for_client;
    $addr = $ServerAddr unless defined $addr;

    my $sock;
    my $tries = 0;
    my $err;
    while (1) {
        $sock = IO::Socket::INET->new(
            PeerAddr => $addr,
            PeerPort => $ServerPortForClient,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        last if $sock;
        $err = $!;
        if (defined $NginxPid && !_nginx_alive()) {
            warn "WARNING: Child process (nginx) is already gone.\n";
            warn _tail_file($ErrLogFile, 20), "\n";
            Test::More->builder->no_ending(1);
            Test::More::fail("$name - Can't connect to $addr:"
                             . "$ServerPortForClient: $err (aborted)\n");
            return (undef, $head_req);
        }
        if (++$tries > 20) {
            my $msg = "$name - Can't connect to $addr:$ServerPortForClient: "
                    . "$err (aborted)\n";
            if (++$TotalConnectingTimeouts < 3) {
                Test::More->builder->no_ending(1);
                Test::More::fail($msg);
            } else {
                bail_out($msg);
            }
            return (undef, $head_req);
        }
        _sleep(0.01 * $tries);
    }

    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my $resp = '';
    my $wbuf = (shift @bits)->{value};
    $wbuf = '' unless defined $wbuf;
    my $woff = 0;
    my $writing = 1;
    my $reading = 1;

    while ($reading || $writing) {
        $! = 0;
        my ($r, $w) = IO::Select->select($reading ? $sel : undef,
                                         $writing ? $sel : undef,
                                         undef, $timeout);
        if (!$r && !$w) {
            if ($! && $!{EINTR}) {
                next;
            }
            close $sock;
            if (!defined $block->abort) {
                Test::More->builder->no_ending(1);
                Test::More::fail("ERROR: client socket timed out - $name\n");
            } else {
                _sleep(0.005);
            }
            return ($resp, $head_req);
        }

        if ($w && @$w) {
            WRITE: while (1) {
                my $rest = length($wbuf) - $woff;
                if ($rest > 0) {
                    my $n = syswrite($sock, $wbuf, $rest, $woff);
                    if (!defined $n) {
                        last WRITE if $!{EAGAIN} || $!{EWOULDBLOCK};
                        my $msg = "write failed: $!";
                        warn "$msg\n";
                        $resp = $msg unless length $resp;
                        $writing = 0;
                        last WRITE;
                    }
                    $woff += $n;
                    next WRITE;
                }
                my $next = shift @bits;
                if (!defined $next) {
                    $writing = 0;
                    my $shutdown = $block->shutdown;
                    if (defined $shutdown) {
                        $shutdown = 1 if $shutdown =~ /^$/s;
                        shutdown($sock, $shutdown);
                    }
                    last WRITE;
                }
                $wbuf = defined $next->{value} ? $next->{value} : '';
                $woff = 0;
                my $wait = defined $next->{delay_before}
                           ? $next->{delay_before} : $middle_delay;
                _sleep($wait) if $wait;
            }
        }

        if ($r && @$r) {
            while (1) {
                my $buf;
                my $n = sysread($sock, $buf, 65536);
                if (!defined $n) {
                    last if $!{EAGAIN} || $!{EWOULDBLOCK};
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    $reading = 0;
                    $writing = 0;
                    last;
                }
                if ($n == 0) {
                    $reading = 0;
                    $writing = 0;
                    last;
                }
                $resp .= $buf;
            }
        }
    }
    close $sock;
    return ($resp, $head_req);
}

# Mirrors HTTP::Response->parse plus the real module's body decoding.
sub _parse_response {
    my ($name, $raw, $head_req) = @_;
    my $left;

    my $raw_headers = '';
    if ($raw =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $str = $raw;
    my $status_line;
    if ($str =~ s/^(.*)\n//) {
        $status_line = $1;
    } else {
        $status_line = $str;
        $str = '';
    }
    $status_line =~ s/\r\z//;

    my @hdr;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            push @hdr, $1, $2;
            $hdr[-1] =~ s/\r\z//;
        } elsif (@hdr && $str =~ s/^([ \t].*)\n?//) {
            $hdr[-1] .= "\n$1";
            $hdr[-1] =~ s/\r\z//;
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }

    my $code;
    if ($status_line =~ /^\d{3} /) {
        ($code) = split ' ', $status_line, 2;
    } else {
        (undef, $code) = split ' ', $status_line, 3;
    }
    $code = undef if defined $code && $code !~ /^\d+$/;

    my $res = Test::Nginx::Socket::Response->new(code => $code, headers => \@hdr,
                                                 content => $str);

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my @trailers = $res->header('Trailer');

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content;
        $body = '' unless defined $body;
        my $decoded = '';
        pos($body) = 0;
        while (1) {
            if (!@trailers && $body =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $body =~ /\G(.+)/gcs;
                last;
            } elsif (@trailers && $body =~ /\G0[ \t]*\r\n/gc) {
                for my $t (@trailers) {
                    if ($body !~ /\G(\Q$t\E: [^\n]*\r\n)/gcs) {
                        Test::More->builder->no_ending(1);
                        Test::More::fail("$name - invalid trailer data received (expected $t).");
                        return;
                    }
                }
                if ($body !~ /\G\r\n/gcs) {
                    Test::More->builder->no_ending(1);
                    Test::More::fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }
                $left = $1 if $body =~ /\G(.+)/gcs;
                last;
            }

            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex($1);
                my $p = pos($body);
                if (length($body) - $p < $size) {
                    Test::More->builder->no_ending(1);
                    Test::More::fail("$name - invalid chunked data received "
                                     . "(not enought octets for the data section)");
                    return;
                }
                $decoded .= substr($body, $p, $size);
                pos($body) = $p + $size;
                if ($body !~ /\G\r\n/gcs) {
                    Test::More->builder->no_ending(1);
                    Test::More::fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }
            } elsif ($body =~ /\G(.+)/gcs) {
                Test::More->builder->no_ending(1);
                Test::More::fail("$name - invalid chunked body received: $1");
                return;
            } else {
                Test::More->builder->no_ending(1);
                Test::More::fail("$name - no last chunk found - $body");
                return;
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len ne '' && $len =~ /^\d+$/) {
        my $body = $res->content;
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
               . "but got " . length($body) . "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

# ------------------------------------------------------------------ checks

sub _indexed {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$req_idx] if ref $value && ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        bail_out("$name - SHOULD NOT HAPPEN: idx != 0 and don't need array.")
            if $req_idx != 0;
        return $value->[0];
    }
    return $value;
}

sub _parse_headers_spec {
    my $s = shift;
    my @out;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        my $neg = ($line =~ s/^!\s*//);
        if ($neg) {
            push @out, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            next unless defined $k && length $k;
            push @out, [$k, $v];
        }
    }
    # later duplicates win, like a hash
    my %seen;
    my @uniq;
    for my $kv (reverse @out) {
        next if $seen{$kv->[0]}++;
        unshift @uniq, $kv;
    }
    return \@uniq;
}

sub _check_error_code {
    my ($block, $res, $req_idx, $need_array) = @_;
    my $name = $block->name;
    my $got = ($res && $res->code) || '';
    if (defined $block->error_code_like) {
        my $val = _indexed($name, scalar($block->error_code_like), $req_idx, $need_array);
        Test::More::like($got, qr/$val/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($got, _indexed($name, scalar($block->error_code), $req_idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($got, 200, "$name - status code ok");
    }
}

sub _check_raw_response_headers {
    my ($block, $raw_headers, $req_idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        my $e = _indexed($name, scalar($block->raw_response_headers_like), $req_idx, $need_array);
        Test::More::like($raw_headers, qr/$e/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $e = _indexed($name, scalar($block->raw_response_headers_unlike), $req_idx, $need_array);
        Test::More::unlike($raw_headers, qr/$e/s, "$name - raw resp headers unlike");
    }
}

sub _check_response_headers {
    my ($block, $res, $raw_headers, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;
    if (defined $block->response_headers) {
        my $spec = _parse_headers_spec(
            _indexed($name, scalar($block->response_headers), $req_idx, $need_array));
        for my $kv (@$spec) {
            my ($key, $val) = @$kv;
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                    "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            Test::More::is($actual, $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $spec = _parse_headers_spec(
            _indexed($name, scalar($block->response_headers_like), $req_idx, $need_array));
        for my $kv (@$spec) {
            my ($key, $val) = @$kv;
            $val = '' unless defined $val;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            Test::More::like($actual, qr/^$val$/, "$name - header $key like ok");
        }
    }
}

sub _run_body_filter {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;
    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }
    bail_out("$name - the --- response_body_filters section only supports "
             . "subroutine reference values and string values") if ref $filter;
    if ($filter eq 'md5_hex') {
        require Digest::MD5;
        return Digest::MD5::md5_hex($content);
    } elsif ($filter eq 'sha1_hex') {
        require Digest::SHA;
        return Digest::SHA::sha1_hex($content);
    } elsif ($filter eq 'uc') {
        return uc $content;
    } elsif ($filter eq 'lc') {
        return lc $content;
    } elsif ($filter eq 'ucfirst') {
        return ucfirst $content;
    } elsif ($filter eq 'lcfirst') {
        return lcfirst $content;
    } elsif ($filter eq 'length') {
        return length $content;
    }
    bail_out("$name - unknown filter, \"$filter\", specified in the "
             . "--- response_body_filters section");
}

sub _transform_response_body {
    my ($block, $res, $req_idx) = @_;
    return unless defined $res;
    my $content = $res->content;
    return unless defined $content;
    my $filters = $block->response_body_filters;
    return unless defined $filters;
    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    my $filter = $filters;
    if (ref $filters->[0] eq 'ARRAY') {
        for my $e (@$filters) {
            bail_out("$name - the --- response_body_filters two-dimensional "
                     . "array only be like [[uc], [lc]] not [[uc], lc]")
                if ref $e ne 'ARRAY';
        }
        $filter = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional array "
                 . "unmatch the specified request($req_idx)") unless defined $filter;
    }
    my $new = $content;
    if (ref $filter && ref $filter eq 'ARRAY') {
        $new = _run_body_filter($block, $_, $new) for @$filter;
    } else {
        $new = _run_body_filter($block, $filter, $new);
    }
    $res->content($new);
}

sub _check_response_body {
    my ($block, $res, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined(my $f = $block->write_resp_body_file) && defined $res) {
        my $got = $res->content;
        open my $out, '>', $f
            or bail_out("$name - failed to write to file '$f': $!");
        print $out (defined $got ? $got : '');
        close $out;
    }

    if (defined $block->response_body) {
        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }
        if (defined $block->response_body_json_sort) {
            require JSON::PP;
            my $js = JSON::PP->new->canonical(1);
            my $obj;
            if (eval { $obj = $js->loose(1)->decode($content); 1 }) {
                $content = $js->encode($obj) . "\n";
            }
        }
        my $expected = _indexed($name, scalar($block->response_body), $req_idx, $need_array);
        if (scalar($block->charset)) {
            require Encode;
            Encode::from_to($expected, 'UTF-8', scalar($block->charset));
        }
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name);
        }
        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req $repeated_req_idx, req $req_idx)");
        } else {
            is_str($content, $expected,
                "$name - response_body - response is expected (repeated req "
                . "$repeated_req_idx, req $req_idx)");
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my ($patterns, $type) = defined $block->response_body_like
            ? (scalar($block->response_body_like), 'like')
            : (scalar($block->response_body_unlike), 'unlike');
        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }
        my $pat = _indexed($name, $patterns, $req_idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content);
        $summary = '' unless defined $summary;
        my $desc = "$name - response_body_$type - response is expected ($summary)";
        if ($type eq 'like') {
            Test::More::like($content, qr/$pat/s, $desc);
        } else {
            Test::More::unlike($content, qr/$pat/s, $desc);
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx,
                 $repeated_req_idx, 0);
    }
}

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    my $timeout = parse_time(scalar($block->timeout));
    $timeout = $Timeout unless defined $timeout;

    my $res;
    my $need_array;
    my $req_idx = 0;

    for my $one_req (@$reqs) {
        my ($raw_resp, $head_req) = _send_request(
            $one_req, scalar($block->raw_request_middle_delay), $timeout, $block);

        my $n = 0;
        if (scalar($block->pipelined_requests)) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$reqs > 1;
        }

        while (1) {
            $raw_resp = '' unless defined $raw_resp;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(
                        code => 200, content => $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) =
                        _parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if (defined $left && length $left) {
                    (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last "
                       . "chunk in response: \"$l\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                _check_error_code($block, $res, $req_idx, $need_array);
                _check_raw_response_headers($block, $raw_headers, $req_idx, $need_array);
                _check_response_headers($block, $res, $raw_headers, $req_idx, $need_array);
                _transform_response_body($block, $res, $req_idx);
                _check_response_body($block, $res, $req_idx, $repeated_req_idx,
                                     $need_array);
            }

            if ($n || $req_idx < @$reqs - 1) {
                _sleep(scalar($block->wait)) if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
                check_access_log($block, $dry_run, $repeated_req_idx)
                    unless defined $block->ignore_response;
            }

            $req_idx++;
            last unless $n;
        }
    }

    _sleep(scalar($block->wait)) if $block->wait;
    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
    check_access_log($block, $dry_run, $repeated_req_idx)
        unless defined $block->ignore_response;
}

# --------------------------------------------------------------- test driver

my %Unsupported = map { $_ => 1 } qw(
    tcp_listen tcp_reply tcp_query tcp_query_len tcp_shutdown udp_listen
    udp_reply udp_query stap stap_out stap_out_like stap_out_unlike http2
    http3 reload_fails request_eval response_body_eval skip_nginx2
    skip_openssl skip_slave todo_nginx curl
);

sub _check_unsupported {
    my $block = shift;
    for my $s (sort keys %Unsupported) {
        if (exists $block->{$s} && defined $block->_get($s)) {
            bail_out($block->name . " - the --- $s section is not supported "
                     . "by the compat Test::Nginx::Socket (t/compat)");
        }
    }
}

sub _start_nginx_or_bail {
    my ($name) = @_;
    my $attempt = 0;
    while (1) {
        $attempt++;
        my ($pid, $cmd) = _spawn_nginx();
        my ($state, $status) = _wait_nginx_ready($pid, $StartTimeout);
        if ($state eq 'ready') {
            $NginxPid = $pid;
            return;
        }
        if ($state eq 'timeout') {
            kill('KILL', -$pid);
            kill('KILL', $pid);
            waitpid($pid, 0);
            bail_out("$name - nginx did not get ready within ${StartTimeout}s "
                     . "(command \"$cmd\").\n" . _slurp($StderrFile));
        }
        my $stderr = _slurp($StderrFile);
        if ($stderr =~ /Address already in use/ && $attempt < 2) {
            # nginx itself already retried bind() for ~2.5s; try once more
            _sleep(0.1);
            next;
        }
        bail_out("$name - Cannot start nginx using command \"$cmd\" "
                 . "(status code $status).\n$stderr"
                 . "--- tail of $ErrLogFile:\n" . _tail_file($ErrLogFile, 10));
    }
}

sub _run_must_die {
    my ($block, $must_die) = @_;
    my $name = $block->name;
    for my $i (0 .. $RepeatEach - 1) {
        my ($pid, $cmd) = _spawn_nginx();
        my ($state, $status) = _wait_nginx_ready($pid, $StartTimeout);
        my ($exit_code, $coredump) = (0, 0);
        if ($state eq 'exited') {
            $exit_code = $status >> 8;
            $coredump = $status & 128;
        } else {
            # nginx came up (or hangs): it "did not die"
            $status = 0;
        }

        if ($coredump) {
            Test::More::fail("$name - nginx core dumped");
        } elsif (Scalar::Util::looks_like_number($must_die)) {
            Test::More::is($must_die, $exit_code,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected")
                or Test::More::diag("nginx stderr:\n" . _slurp($StderrFile));
        }

        check_error_log($block, undef, 0, $i, 0);

        if ($state ne 'exited') {
            warn "WARNING: $name - nginx must die but it does not; "
               . "killing it (req $i)\n";
            $NginxPid = $pid;
            _stop_nginx($name);
        }
    }
}

sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;

    my $name = $block->name;
    my $first_time = $FirstTime;
    $FirstTime = 0;
    %RandPorts = ();

    _check_unsupported($block);

    my $config = expand_env_in_text(scalar($block->config), $name);

    local $LogLevel = $LogLevel;
    $LogLevel = $block->log_level if $block->log_level;

    my $must_die = $block->must_die;

    my $should_restart = 1;
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not get "
                 . "previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?")
            unless defined $PrevConfig;
        # the real module keeps the previous block's nginx (and error.log)
        $should_restart = 0;
    } elsif (defined $PrevConfig && $config eq $PrevConfig
             && !$ForceRestartOnTest && _nginx_alive())
    {
        $should_restart = 0;
    }

    # --- skip_eval / skip_nginx / todo
    my ($tests_to_skip, $should_skip, $skip_reason, $should_todo, $todo_reason);
    if (defined(my $skip_eval = $block->skip_eval)) {
        if ($skip_eval =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            $tests_to_skip = $1;
            $skip_reason = 'skip_eval';
            my $code = $2;
            $should_skip = eval $code;
            bail_out("$name - skip_eval - failed to eval the Perl code "
                     . "\"$code\": $@") if $@;
        }
    }
    if (defined(my $skip_nginx = $block->skip_nginx)) {
        if ($skip_nginx =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                              (?:\s*:\s*(.*))?\s*$}x)
        {
            $tests_to_skip = $1;
            my ($op, @v) = ($2, $3, $4, $5);
            $skip_reason = $6 || "nginx version $op $v[0].$v[1].$v[2]";
            my $ver = get_canon_version(@v);
            my $cur = get_nginx_version();
            $should_skip = 1 if eval "$cur $op $ver";
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $skip_nginx");
        }
    }
    $skip_reason = 'various reasons' unless defined $skip_reason;
    if (defined(my $todo = $block->todo)) {
        if ($todo =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            $should_todo = 1;
            $tests_to_skip = $1;
            $todo_reason = $2;
        } else {
            bail_out("$name - Invalid --- todo spec: $todo");
        }
    }
    $todo_reason = 'various reasons' unless defined $todo_reason;

    if (!$should_skip && $should_restart) {
        $PrevConfig = $config;
        _stop_nginx($name);
        _check_prev_block_shutdown_error_log();

        setup_server_root($first_time);
        run_customer_init_script($block);
        write_user_files($block);
        write_config_file($block, $config);

        bail_out("$name - Cannot find the nginx executable ($NginxBinary)")
            unless _can_run($NginxBinary);

        $ErrLogFilePos = 0;

        if (defined $must_die) {
            _run_must_die($block, $must_die);
            return;
        }

        _start_nginx_or_bail($name);
    }

    if (scalar($block->init)) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (1 .. $RepeatEach) {
        write_user_files($block) if $i > 1;

        if ($should_skip && defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }
        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason", $tests_to_skip);
            }
        } else {
            run_test_helper($block, 0, $i - 1);
        }
    }

    # report (as a warning only) an nginx that died under us, e.g. crashed
    _nginx_alive();
}

sub run_tests () {
    srand($$ + Time::HiRes::time() * 1000000);

    if (!Test::More->builder->has_plan) {
        $NoPlanDeclared = 1;
        Test::More::plan('no_plan');
    }

    get_nginx_version();

    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    _install_signal_handlers();

    my @blocks = blocks();
    @blocks = List::Util::shuffle(@blocks) unless $NoShuffle;

    for my $block (@blocks) {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }
        $block->set_value('name', $0 . ' ' . $block->name);
        run_test($block);
        for my $hdl (@TestCleanupHandlers) {
            $hdl->($block);
        }
        $PrevBlock = $block;
    }

    cleanup();
}

END {
    if (!$InChild) {
        local $?;
        if (!$ENV{TEST_NGINX_NO_CLEAN}) {
            cleanup();
        } else {
            $_->() for @CleanupHandlers;
        }
        _check_prev_block_shutdown_error_log() if defined $PrevBlock;
        if ($NoPlanDeclared) {
            Test::More::fail("no test plan was declared: the real "
                . "Test::Nginx::Socket (Test::Base) dies at exit in this case; "
                . "use \"use Test::Nginx::Socket 'no_plan';\" or plan tests => N");
        }
        if ($Randomize && -d $ServRoot && $ServRoot =~ m{/t/servroot_\d+$}) {
            File::Path::remove_tree($ServRoot);
        }
    }
}

1;
