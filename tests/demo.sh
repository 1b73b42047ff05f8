#!/bin/sh
# make demo: a complete running instance in ./demo with a demo account that
# already holds a welcome message.  make demo-stop stops it.
#   sh tests/demo.sh BUILD DIR
#   sh tests/demo.sh --stop DIR
set -eu

if [ "$1" = "--stop" ]; then
  dir=$(cd "$2" 2>/dev/null && pwd) || { echo "demo: no instance in $2"; exit 0; }
  if [ -p "$dir/service/.s6-svscan/control" ] || [ -e "$dir/service/.s6-svscan/control" ]; then
    s6-svscanctl -t "$dir/service" 2>/dev/null || true
  fi
  echo "demo: stopped (the instance is kept in $dir; rm -rf it to start afresh)"
  exit 0
fi

build=$1
dir=$2
domain=demo.example
account=demo
password=demo-password

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
"$build/yubin-setup" "$dir" --me mail.$domain

ctl="$dir/bin/yubinctl"
"$ctl" domain list | grep -qx "$domain" || "$ctl" domain add "$domain"
if ! "$ctl" account list "$domain" | grep -q "^$account@$domain"; then
  printf '%s\n' "$password" | "$ctl" account add "$account@$domain"
fi
# No demo ever asks the system's resolver: remote mail waits in the queue.
[ -e "$dir/control/resolvers" ] || echo 127.0.0.1:9 > "$dir/control/resolvers"

# Start the supervision tree unless it already runs.
if ! s6-svscanctl -z "$dir/service" 2>/dev/null; then
  setsid s6-svscan "$dir/service" </dev/null >"$dir/log/svscan.log" 2>&1 &
  i=0
  until s6-svstat -o up "$dir/service/send" 2>/dev/null | grep -q true; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: the send service did not start; see $dir/log/"; exit 1; }
    sleep 0.1
  done
fi

maildir="$dir/mail/$domain/$account/Maildir"
if [ -z "$(ls "$maildir/new" "$maildir/cur" 2>/dev/null | grep -v '^$' | grep -v ':$')" ]; then
  "$dir/bin/sendmail" -f "postmaster@$domain" "$account@$domain" <<MSG
From: yubin <postmaster@$domain>
To: Demo User <$account@$domain>
Subject: Welcome to yubin

Hello!

This message went through sendmail, the queue, the queue manager and local
delivery into your Maildir. Read it with a POP3 or IMAP client, or look at
the file itself.
MSG
  i=0
  until [ -n "$(ls "$maildir/new" "$maildir/cur" 2>/dev/null | grep -v '^$' | grep -v ':$')" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: the welcome message was not delivered; see $dir/log/send/current"; exit 1; }
    sleep 0.1
  done
fi

cat <<EOF2

yubin demo instance running in $dir
  account:   $account@$domain   password: $password
  mailbox:   $maildir
  look:      ls $maildir/new; cat $maildir/new/*
  send:      echo hi | $dir/bin/sendmail $account@$domain
  accounts:  $dir/bin/yubinctl account list
  queue:     $dir/bin/yubinctl queue stat
  logs:      tail -f $dir/log/*/current
  ports:     smtp 2525, submission 2587, smtps 2465, pop3 2110, pop3s 2995, imap 2143, imaps 2993
  read:      curl -k pop3s://127.0.0.1:2995/1 -u $account@$domain:$password
  stop:      make demo-stop
EOF2
