#!/usr/bin/perl
# Writes a small MaxMind DB (.mmdb) for the GeoIP tests, shaped like GeoLite2-Country:
#   write_test_mmdb.pl OUT.mmdb NETWORK=COUNTRY/CONTINENT ...
# e.g. 203.0.113.0/24=US/NA 127.0.0.2/32=DE/EU. COUNTRY '-' leaves country out; '+JP' stores
# JP as registered_country only (as MaxMind does for some anycast and satellite networks).
# IPv4 networks land in the IPv6 tree's ::/96, where libmaxminddb looks IPv4 addresses up.
# Needs Debian's libmaxmind-db-writer-perl (scripts/setup).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 OUT.mmdb NETWORK=COUNTRY/CONTINENT ...\n" if @ARGV < 2;
my $out = shift @ARGV;
my %types = (
    country => 'map', registered_country => 'map', continent => 'map',
    iso_code => 'utf8_string', code => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    remove_reserved_networks => 0,  # the tests use documentation and loopback networks
    database_type         => 'Fulcrum-Test-Country',
    languages             => ['en'],
    description           => { en => 'Fulcrum test database' },
    map_key_type_callback => sub { $types{ $_[0] } },
);
for my $entry (@ARGV) {
    my ($network, $country, $continent) = $entry =~ m{^([^=]+)=([^/]*)/(.*)$}
        or die "$0: '$entry' is not NETWORK=COUNTRY/CONTINENT\n";
    my %record;
    if ($country =~ /^\+(.+)$/) { $record{registered_country} = { iso_code => $1 } }
    elsif ($country ne '-' && $country ne '') { $record{country} = { iso_code => $country } }
    $record{continent} = { code => $continent } if $continent ne '-' && $continent ne '';
    $tree->insert_network($network, \%record);
}
open my $fh, '>:raw', $out or die "$0: cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "$0: cannot write $out: $!\n";
