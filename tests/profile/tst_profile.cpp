// The profile format: validation messages, typed loading, `extends`, the text helpers, the
// store (listing, shadowing, atomic and conflict-checked saves, including a read-only and a full
// file system), the built-in profiles, the generated schema and docs, and `layerbox profile`.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QtTest>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/fsutil.h"
#include "base/paths.h"
#include "profile/profile.h"
#include "profile/profile_permissions.h"
#include "profile/profile_store.h"
#include "testsupport.h"

class TstProfile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void permissionsBeyondDefault();
    void invalidProfile_data();
    void invalidProfile();
    void diagnosticFields();
    void validProfile_data();
    void validProfile();
    void sizes_data();
    void sizes();
    void formatSizes();
    void names();
    void typedValues();
    void defaultsWrittenOnce();
    void typedSizes_data();
    void typedSizes();
    void builtinProfiles_data();
    void builtinProfiles();
    void schemaFileIsGenerated();
    void readmeDocumentsEveryField();
    void readmeExamplesValidate();
    void exportRoundTrip_data();
    void exportRoundTrip();
    void newProfileText();
    void renamedProfileText();
    void overridesAgainst_data();
    void overridesAgainst();
    void overridesAgainstMissingParent();
    void extendsMerging();
    void x11Modes();
    void userProfileOverridesBuiltin();
    void chainOfThree();
    void extendsErrors_data();
    void extendsErrors();
    void storeList();
    void storeFind_data();
    void storeFind();
    void storeSave();
    void storeSaveCreatesDirectory();
    void storeRemove();
    void storeSaveFault_data();
    void storeSaveFault();
    void cliValidate();
    void cliListJson();
    void cliShowJson();
    void cliNewAndShow();
    void cliImport();
    void cliExport();
    void cliRemove();
    void cliSchemaAndFields();
    void cliUsageErrors_data();
    void cliUsageErrors();
    void cliHelpAndVersion();
};

// moc does not understand raw string literals, and only needs the class above.
#ifndef Q_MOC_RUN

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

std::string ss(const QString& s) {
    return s.toStdString();
}

// Every diagnostic's one line, joined with newlines.
QString diagText(const std::vector<lb::Diagnostic>& diags) {
    QStringList lines;
    for (const auto& d : diags)
        lines << qs(d.text());
    return lines.join('\n');
}

QString validate(const QByteArray& json, const char* display = "x.json", const char* stem = "x") {
    return diagText(lb::validateProfileText(json.toStdString(), display, stem));
}

// The staged built-in profiles (the build tree's share/layerbox/profiles).
QString builtinDir() {
    return qEnvironmentVariable("LAYERBOX_BUILTIN_DIR");
}

QString sourceProfileDir() {
    return lbtest::sourceDir() + "/profiles";
}

lb::Paths pathsFor(const lbtest::TestHome& h, const QString& builtin = builtinDir()) {
    lb::Paths p;
    p.home = ss(h.home());
    p.configHome = ss(h.configHome());
    p.dataHome = ss(h.dataHome());
    p.cacheHome = ss(h.home() + "/.cache");
    p.runtimeDir = ss(h.runtimeDir());
    p.builtinProfileDir = ss(builtin);
    return p;
}

lb::ProfileStore storeFor(const lbtest::TestHome& h, const QString& builtin = builtinDir()) {
    return lb::ProfileStore(pathsFor(h, builtin));
}

std::string joinList(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + v[i];
    return out + "]";
}

template <class T>
std::string opt(const std::optional<T>& o) {
    return o ? std::to_string(*o) : std::string("unset");
}

// Every typed value of a profile, one per line, so QCOMPARE shows what differs.
QString describe(const lb::Profile& p, bool withExtends = true) {
    std::ostringstream o;
    o << "name=" << p.name << "\ntitle=" << p.title << "\ndescription=" << p.description
      << "\nicon=" << p.icon << "\ndesktop_entry=" << p.desktopEntry << "\n";
    if (withExtends) o << "extends=" << p.extends << "\n";
    o << "command=" << joinList(p.command) << "\n";
    const auto& fs = p.filesystem;
    o << "fs driver=" << int(fs.driver) << " ephemeral=" << fs.ephemeral << " home=" << int(fs.home)
      << " layers=" << joinList(fs.layers) << "\n";
    for (const auto& b : fs.binds)
        o << "bind " << b.host << " -> " << b.sandbox << " rw=" << b.rw << " create=" << b.create
          << " optional=" << b.optional << "\n";
    o << "hide=" << joinList(fs.hide) << "\nrecover_watch=" << joinList(fs.recoverWatch)
      << "\ndevices=" << joinList(fs.devices) << "\n";
    const auto& n = p.network;
    o << "net mode=" << int(n.mode) << " host_loopback=" << n.hostLoopback
      << " firewall=" << n.firewall << " hostname=" << n.hostname << " mtu=" << n.mtu
      << " ipv6=" << n.ipv6 << " dns=" << joinList(n.dns) << "\n";
    for (const auto& f : n.ports)
        o << "port " << f.hostAddr << ":" << f.host << " -> " << f.sandbox << "/" << f.proto
          << "\n";
    for (const auto& r : n.rules)
        o << "rule " << r.action << " to=" << r.to << " ports=" << r.portMin << "-" << r.portMax
          << " proto=" << r.proto << "\n";
    const auto& r = p.resources;
    o << "resources memory_max=" << opt(r.memoryMax) << " memory_high=" << opt(r.memoryHigh)
      << " swap=" << opt(r.memorySwapMax) << " cpu_percent=" << opt(r.cpuPercent)
      << " cpu_weight=" << opt(r.cpuWeight) << " tasks=" << opt(r.tasksMax)
      << " io_weight=" << opt(r.ioWeight) << " require=" << r.requireLimits << "\n";
    const auto& s = p.security;
    o << "security seccomp=" << s.seccomp << " deny=" << joinList(s.denySyscalls)
      << " allow=" << joinList(s.allowSyscalls) << " nested=" << s.nestedSandboxes
      << " devel=" << s.devel << "\n";
    const auto& d = p.desktop;
    o << "desktop x11=" << lb::x11ModeName(d.x11) << " wayland=" << d.wayland
      << " audio=" << d.audio << " gpu=" << d.gpu << " theme=" << d.theme << "\n";
    o << "dbus session=" << d.dbus.session << " system=" << d.dbus.system
      << " talk=" << joinList(d.dbus.talk) << " own=" << joinList(d.dbus.own)
      << " see=" << joinList(d.dbus.see) << " call=" << joinList(d.dbus.call)
      << " system_talk=" << joinList(d.dbus.systemTalk) << "\n";
    o << "env keep=" << joinList(p.environment.keep) << " set=";
    for (const auto& [k, v] : p.environment.set)
        o << k << "=" << v << ";";
    o << "\n";
    return qs(o.str());
}

// RFC 7396 merge patch on Qt's JSON types (to build "effective" profiles in tests).
QJsonValue mergePatch(const QJsonValue& target, const QJsonValue& patch) {
    if (!patch.isObject()) return patch;
    QJsonObject out = target.isObject() ? target.toObject() : QJsonObject();
    const QJsonObject p = patch.toObject();
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (it.value().isNull())
            out.remove(it.key());
        else
            out[it.key()] = mergePatch(out.value(it.key()), it.value());
    }
    return out;
}

QJsonObject parseObject(const QByteArray& text) {
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(text, &err);
    if (err.error != QJsonParseError::NoError) qWarning() << "bad JSON:" << err.errorString();
    return doc.object();
}

QByteArray compact(const QJsonObject& o) {
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QStringList filesIn(const QString& dir) {
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

// A profile that sets every field, for the round trips and the typed mapping.
const char* kFullProfile = R"J({
  "version": 1,
  "name": "full",
  "title": "Everything",
  "description": "Every field set.",
  "icon": "/usr/share/icons/full.png",
  "desktop_entry": "full.desktop",
  "command": ["prog", "--flag", "an argument"],
  "filesystem": {
    "driver": "fuse",
    "ephemeral": true,
    "layers": ["toolchain", "fonts"],
    "home": "overlay",
    "binds": [
      {"host": "~/Downloads", "sandbox": "/data/dl", "mode": "rw", "create": true},
      {"host": "/srv/media", "optional": true}
    ],
    "hide": ["~/.ssh"],
    "recover_watch": ["~/Downloads", "/data/dl"],
    "devices": ["/dev/kvm", "/dev/fuse"]
  },
  "network": {
    "mode": "nat",
    "host_loopback": true,
    "ports": [
      {"host": 8080, "sandbox": 80},
      {"host": 5353, "sandbox": 53, "proto": "udp", "host_addr": "::1"}
    ],
    "firewall": {
      "preset": "host-only",
      "rules": [
        {"action": "allow", "to": "10.0.2.2/32", "ports": 631, "proto": "tcp"},
        {"action": "deny", "ports": "8000-8100"},
        {"action": "allow", "to": "fd00::/8"}
      ]
    },
    "dns": ["9.9.9.9", "2620:fe::fe"],
    "hostname": "box",
    "mtu": 1500,
    "ipv6": true
  },
  "resources": {
    "memory_max": "2G",
    "memory_high": "1536M",
    "memory_swap_max": 0,
    "cpu_percent": 150,
    "cpu_weight": 50,
    "tasks_max": 512,
    "io_weight": 20,
    "require_limits": true
  },
  "security": {
    "seccomp": "strict",
    "deny_syscalls": ["ptrace"],
    "allow_syscalls": ["perf_event_open"],
    "nested_sandboxes": true,
    "devel": true
  },
  "desktop": {
    "x11": true,
    "wayland": false,
    "audio": "both",
    "gpu": true,
    "theme": false,
    "dbus": {
      "session": true,
      "system": true,
      "talk": ["org.freedesktop.Notifications"],
      "own": ["org.example.*"],
      "see": ["org.example.Other"],
      "call": ["org.example.Svc=org.example.Iface.Method@/obj"],
      "system_talk": ["org.freedesktop.UPower"]
    }
  },
  "environment": {"keep": ["LANG", "LC_*"], "set": {"FOO": "bar", "EMPTY": ""}}
}

)J";

// --- saving under a fault, in a private user and mount namespace ---------------------------

enum class Fault { ReadOnly, DiskFull };

struct FaultResult {
    QString status;  // "ok", "failed", "skip" (namespaces unavailable) or "setup" (test broke)
    int code = 0;
    QString message;
    QByteArray content;  // the profile file after the save attempt
    QStringList files;   // what the profile directory holds afterwards
};

// Fork a child that mounts a 64 KiB tmpfs over `mountPoint` (the store's config home) inside
// its own user and mount namespaces, saves an old profile there, breaks the file system (fills
// it, or remounts it read-only) and tries to save a new version. chmod would not do: tests may
// run as root. The child reports through a pipe; the parent's file system is never touched.
FaultResult saveUnderFault(const lb::Paths& paths, Fault fault, const std::string& name,
                           const std::string& oldText, const std::string& newText) {
    const std::string mountPoint = paths.configHome;
    const std::string uidMap = "0 " + std::to_string(::getuid()) + " 1";
    const std::string gidMap = "0 " + std::to_string(::getgid()) + " 1";
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {"setup", errno, "pipe2 failed", {}, {}};
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) return {"setup", errno, "fork failed", {}, {}};
    if (pid == 0) {
        ::close(fds[0]);
        // Fields separated by \x1f; JSON text never contains a raw control character.
        auto report = [&](const std::string& status, int code, const std::string& msg,
                          const std::string& content = {}, const std::string& files = {}) {
            std::string out = status + '\x1f' + std::to_string(code) + '\x1f' + msg + '\x1f' +
                              content + '\x1f' + files;
            (void)lb::writeAll(fds[1], out, "pipe");
            ::_exit(0);
        };
        auto sysFail = [&](const char* status, const std::string& what) {
            int e = errno;
            report(status, e, what + ": " + std::strerror(e));
        };
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) sysFail("skip", "unshare");
        if (auto s = lb::writeSmallFile("/proc/self/setgroups", "deny"); !s)
            report("skip", s.error().code(), s.error().message());
        if (auto s = lb::writeSmallFile("/proc/self/uid_map", uidMap); !s)
            report("skip", s.error().code(), s.error().message());
        if (auto s = lb::writeSmallFile("/proc/self/gid_map", gidMap); !s)
            report("skip", s.error().code(), s.error().message());
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            sysFail("skip", "mount(/, MS_PRIVATE)");
        if (::mount("tmpfs", mountPoint.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                    "size=64k,mode=0755") != 0)
            sysFail("skip", "mount(tmpfs)");

        lb::ProfileStore store(paths);
        const std::string path = store.userPath(name);
        if (auto s = store.save(name, oldText, ""); !s)
            report("setup", s.error().code(), "first save: " + s.error().message());
        if (fault == Fault::DiskFull) {
            lb::UniqueFd fd(
                ::open((mountPoint + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
            if (!fd.valid()) sysFail("setup", "open(filler)");
            const std::string block(4096, 'x');
            for (;;) {
                ssize_t n = ::write(fd.get(), block.data(), block.size());
                if (n < 0 && errno == ENOSPC) break;
                if (n < 0) sysFail("setup", "write(filler)");
                if (n < static_cast<ssize_t>(block.size())) continue;  // next write: ENOSPC
            }
        } else {
            if (::mount(nullptr, mountPoint.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY,
                        nullptr) != 0)
                sysFail("setup", "remount read-only");
        }
        auto s = store.save(name, newText, lb::ProfileStore::tagOf(path));
        auto content = lb::readFile(path);
        std::string files;
        for (const auto& f : filesIn(qs(store.paths().userProfileDir())))
            files += (files.empty() ? "" : "/") + ss(f);
        report(s ? "ok" : "failed", s ? 0 : s.error().code(), s ? "" : s.error().message(),
               content ? *content : "(unreadable: " + content.error().message() + ")", files);
    }
    ::close(fds[1]);
    std::string data;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return {"setup", 0, "the child did not exit cleanly", {}, {}};
    auto parts = lb::split(data, '\x1f');
    if (parts.size() != 5) return {"setup", 0, "malformed report: " + qs(data), {}, {}};
    return {qs(parts[0]), std::stoi(parts[1]), qs(parts[2]), QByteArray::fromStdString(parts[3]),
            qs(parts[4]).split('/', Qt::SkipEmptyParts)};
}

}  // namespace

void TstProfile::initTestCase() {
    QVERIFY2(!builtinDir().isEmpty(), "LAYERBOX_BUILTIN_DIR is not set (run through ctest)");
    QVERIFY2(QFileInfo(lbtest::layerboxBin()).isExecutable(), "LAYERBOX_BIN is not built");
    QVERIFY(QFileInfo(sourceProfileDir()).isDir());
}

// ---- single files: every way to get a profile wrong, with its exact message ----------

void TstProfile::invalidProfile_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* tag, const char* json, const char* expected) {
        QTest::newRow(tag) << QByteArray(json) << QString::fromUtf8(expected);
    };

    // syntax, with line:column
    row("trailing comma", R"J({"version": 1, "name": "x",})J",
        "x.json:1:28: syntax error while parsing object key - unexpected '}'; expected "
        "string literal");
    row("missing comma, line 3", "{\"version\": 1,\n \"name\": \"x\"\n \"title\": \"t\"}",
        "x.json:3:8: syntax error while parsing object - unexpected string literal; "
        "expected '}'");
    row("unterminated string", R"J({"version": 1, "title": "unterminated})J",
        "x.json:1:39: syntax error while parsing value - invalid string: missing closing "
        "quote; last read: '\"unterminated}'");
    row("single quotes", "{\"version\": 1, \"name\": 'x'}",
        "x.json:1:24: syntax error while parsing value - invalid literal; last read: "
        "'\"name\": ''");
    row("truncated", "{\"version\": 1,\n  \"name\": \"x\"\n",
        "x.json:3:1: syntax error while parsing object - unexpected end of input; "
        "expected '}'");
    row("trailing garbage", R"J({"version": 1} x)J",
        "x.json:1:16: syntax error while parsing value - invalid literal; last read: '1} "
        "x'; expected end of input");
    // found by fuzzing (tests/fuzz/corpus/profile/regression-number-overflow.json): nlohmann
    // throws out_of_range, not parse_error, for a number it cannot hold
    row("number overflow", R"J({"version": 333e33333000000000})J",
        "x.json: invalid JSON: number overflow parsing '333e33333000000000'");
    row("line comment", "{\n  // comment\n  \"version\": 1\n}",
        "x.json:2:3: syntax error while parsing object key - invalid literal; last read: "
        "'{<U+000A>  /'; expected string literal (JSON has no comments; use a \"$comment\" "
        "key)");
    row("block comment", R"J({"version": 1 /* one */})J",
        "x.json:1:15: syntax error while parsing object - invalid literal; last read: '1 "
        "/'; expected '}' (JSON has no comments; use a \"$comment\" key)");
    row("empty file", "", "x.json: file is empty");
    row("blank file", " \n\t\n", "x.json: file is empty");

    // top level and version
    row("top-level list", "[1, 2]", "x.json: a profile must be a JSON object");
    row("top-level string", "\"hello\"", "x.json: a profile must be a JSON object");
    row("top-level number", "42", "x.json: a profile must be a JSON object");
    row("missing version", R"J({"name": "x"})J", "x.json: /version: is missing (for example 1)");
    row("newer version", R"J({"version": 2, "name": "x", "bogus": 1})J",
        "x.json: /version: 2 is newer than this Layerbox understands (1); update Layerbox");
    row("huge version", R"J({"version": 18446744073709551615})J",
        "x.json: /version: 18446744073709551615 is newer than this Layerbox understands "
        "(1); update Layerbox");
    row("version 0", R"J({"version": 0, "name": "x"})J",
        "x.json: /version: 0 is out of range (1 to 1)");
    row("version as string", R"J({"version": "1", "name": "x"})J",
        "x.json: /version: expected an integer, got a string \"1\"");
    row("version null", R"J({"version": null, "name": "x"})J",
        "x.json: /version: expected an integer, got null");

    // unknown keys at several depths, with and without a hint
    row("unknown key, top", R"J({"version": 1, "titel": "X"})J",
        "x.json: /titel: unknown key (did you mean \"title\"?)");
    row("unknown key, no hint", R"J({"version": 1, "zzzzzz": 1})J", "x.json: /zzzzzz: unknown key");
    row("unknown key, filesystem", R"J({"version": 1, "filesystem": {"hom": "private"}})J",
        "x.json: /filesystem/hom: unknown key (did you mean \"home\"?)");
    row("unknown key, resources", R"J({"version": 1, "resources": {"memory_maximum": "2G"}})J",
        "x.json: /resources/memory_maximum: unknown key (did you mean \"memory_max\"?)");
    row("unknown key, depth 3",
        R"J({"version": 1, "network": {"firewall": {"preset": "open", "rulez": []}}})J",
        "x.json: /network/firewall/rulez: unknown key (did you mean \"rules\"?)");
    row("unknown key, dbus", R"J({"version": 1, "desktop": {"dbus": {"sesion": true}}})J",
        "x.json: /desktop/dbus/sesion: unknown key (did you mean \"session\"?)");
    row("unknown key, list item",
        R"J({"version": 1, "filesystem": {"binds": [{"host": "/a", "mdoe": "rw"}]}})J",
        "x.json: /filesystem/binds/0/mdoe: unknown key (did you mean \"mode\"?)");
    row("$schema below the top", R"J({"version": 1, "desktop": {"$schema": "x"}})J",
        "x.json: /desktop/$schema: unknown key");

    // booleans
    row("bool as string", R"J({"version": 1, "desktop": {"theme": "yes"}})J",
        "x.json: /desktop/theme: expected true or false, got a string \"yes\"");
    row("bool as integer", R"J({"version": 1, "desktop": {"gpu": 1}})J",
        "x.json: /desktop/gpu: expected true or false, got an integer 1");

    // integers
    row("int below range", R"J({"version": 1, "resources": {"tasks_max": 0}})J",
        "x.json: /resources/tasks_max: 0 is out of range (1 to 4194304)");
    row("int above range", R"J({"version": 1, "resources": {"cpu_percent": 100001}})J",
        "x.json: /resources/cpu_percent: 100001 is out of range (1 to 100000)");
    row("int huge", R"J({"version": 1, "resources": {"tasks_max": 18446744073709551615}})J",
        "x.json: /resources/tasks_max: 18446744073709551615 is out of range (1 to 4194304)");
    row("mtu too small", R"J({"version": 1, "network": {"mtu": 1000}})J",
        "x.json: /network/mtu: 1000 is out of range (1280 to 65520)");
    row("int as float",
        R"J({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080.0, "sandbox": 80}]}})J",
        "x.json: /network/ports/0/host: expected an integer, got a number 8080.0");

    // sizes
    row("size with space", R"J({"version": 1, "resources": {"memory_max": "2 GB"}})J",
        "x.json: /resources/memory_max: \"2 GB\" is not a size (use 2G, 512M)");
    row("size negative", R"J({"version": 1, "resources": {"memory_max": -1}})J",
        "x.json: /resources/memory_max: -1 is not a size (use 2G, 512M)");
    row("size fraction of bytes", R"J({"version": 1, "resources": {"memory_high": "1.5"}})J",
        "x.json: /resources/memory_high: \"1.5\" is not a size (use 2G, 512M)");
    row("size float", R"J({"version": 1, "resources": {"memory_max": 1.5}})J",
        "x.json: /resources/memory_max: 1.5 is not a size (use 2G, 512M)");
    row("size bool", R"J({"version": 1, "resources": {"memory_swap_max": true}})J",
        "x.json: /resources/memory_swap_max: true is not a size (use 2G, 512M)");
    row("size too many digits",
        R"J({"version": 1, "resources": {"memory_max": "99999999999999999999"}})J",
        "x.json: /resources/memory_max: \"99999999999999999999\" is not a size (use 2G, "
        "512M)");

    // choices
    row("enum with hint", R"J({"version": 1, "filesystem": {"home": "privat"}})J",
        "x.json: /filesystem/home: \"privat\" is not one of private, tmpfs, overlay (did you "
        "mean \"private\"?)");
    row("enum audio hint", R"J({"version": 1, "desktop": {"audio": "pipwire"}})J",
        "x.json: /desktop/audio: \"pipwire\" is not one of none, pulseaudio, pipewire, both "
        "(did you mean \"pipewire\"?)");
    row("enum without hint", R"J({"version": 1, "network": {"mode": "bridge"}})J",
        "x.json: /network/mode: \"bridge\" is not one of none, nat");
    row("enum in list item",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "block"}]}}})J",
        "x.json: /network/firewall/rules/0/action: \"block\" is not one of allow, deny");

    // names
    row("name upper case", R"J({"version": 1, "name": "Firefox"})J",
        "x.json: /name: \"Firefox\" is not a valid name (a-z, 0-9, - and _, at most 64)\n"
        "x.json: /name: \"Firefox\" does not match the file name (x.json)");
    row("extends a path", R"J({"version": 1, "name": "x", "extends": "../browser"})J",
        "x.json: /extends: \"../browser\" is not a valid name (a-z, 0-9, - and _, at most 64)");
    row("layer with space", R"J({"version": 1, "filesystem": {"layers": ["tool chain"]}})J",
        "x.json: /filesystem/layers/0: \"tool chain\" is not a valid name (a-z, 0-9, - and "
        "_, at most 64)");

    // paths
    row("path relative", R"J({"version": 1, "filesystem": {"binds": [{"host": "Downloads"}]}})J",
        "x.json: /filesystem/binds/0/host: \"Downloads\" is not an absolute path (start with "
        "/ or ~/)");
    row("path ~user", R"J({"version": 1, "filesystem": {"hide": ["~user/x"]}})J",
        "x.json: /filesystem/hide/0: \"~user/x\" is not an absolute path (start with / or "
        "~/)");
    row("path dotdot", R"J({"version": 1, "filesystem": {"binds": [{"host": "~/a/../../etc"}]}})J",
        "x.json: /filesystem/binds/0/host: \"~/a/../../etc\" contains \"..\" (not allowed: "
        "paths must not climb out)");
    row("path empty", R"J({"version": 1, "filesystem": {"binds": [{"host": ""}]}})J",
        "x.json: /filesystem/binds/0/host: \"\" is empty");
    row("sandbox path /proc",
        R"J({"version": 1, "filesystem": {"binds": [{"host": "/srv", "sandbox": "/proc/1"}]}})J",
        "x.json: /filesystem/binds/0/sandbox: \"/proc/1\" points into /proc, which the "
        "sandbox manages itself");
    row("sandbox path /sys", R"J({"version": 1, "filesystem": {"hide": ["/sys"]}})J",
        "x.json: /filesystem/hide/0: \"/sys\" points into /sys, which the sandbox manages "
        "itself");
    row("sandbox path /dev", R"J({"version": 1, "filesystem": {"recover_watch": ["/dev/shm"]}})J",
        "x.json: /filesystem/recover_watch/0: \"/dev/shm\" points into /dev, which the "
        "sandbox manages itself");
    row("sandbox path root", R"J({"version": 1, "filesystem": {"hide": ["/"]}})J",
        "x.json: /filesystem/hide/0: \"/\" is the sandbox's root");

    // devices
    row("device relative", R"J({"version": 1, "filesystem": {"devices": ["kvm"]}})J",
        "x.json: /filesystem/devices/0: \"kvm\" is not a device path under /dev");
    row("device dir only", R"J({"version": 1, "filesystem": {"devices": ["/dev/"]}})J",
        "x.json: /filesystem/devices/0: \"/dev/\" is not a device path under /dev");
    row("device escaping", R"J({"version": 1, "filesystem": {"devices": ["/dev/../etc/shadow"]}})J",
        "x.json: /filesystem/devices/0: \"/dev/../etc/shadow\" is not a device path under "
        "/dev");

    // network values
    row("hostname underscore", R"J({"version": 1, "network": {"hostname": "my_host"}})J",
        "x.json: /network/hostname: \"my_host\" is not a valid host name (letters, digits "
        "and -, at most 63)");
    row("hostname leading dash", R"J({"version": 1, "network": {"hostname": "-abc"}})J",
        "x.json: /network/hostname: \"-abc\" is not a valid host name (letters, digits and "
        "-, at most 63)");
    row("ip short", R"J({"version": 1, "network": {"dns": ["9.9.9"]}})J",
        "x.json: /network/dns/0: \"9.9.9\" is not an IP address");
    row("ip name",
        R"J({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80, "host_addr": "localhost"}]}})J",
        "x.json: /network/ports/0/host_addr: \"localhost\" is not an IP address");
    row("cidr v4 prefix",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "to": "10.0.0.0/33"}]}}})J",
        "x.json: /network/firewall/rules/0/to: \"10.0.0.0/33\" is not a network (use "
        "192.168.0.0/16 or fd00::/8)");
    row("cidr v6 prefix",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "to": "fd00::/129"}]}}})J",
        "x.json: /network/firewall/rules/0/to: \"fd00::/129\" is not a network (use "
        "192.168.0.0/16 or fd00::/8)");
    row("cidr word",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "to": "lan"}]}}})J",
        "x.json: /network/firewall/rules/0/to: \"lan\" is not a network (use 192.168.0.0/16 "
        "or fd00::/8)");
    row("port spec 70000",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": "70000"}]}}})J",
        "x.json: /network/firewall/rules/0/ports: \"70000\" is not a port or range (use 443 "
        "or \"8000-8100\")");
    row("port spec 9-3",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": "9-3"}]}}})J",
        "x.json: /network/firewall/rules/0/ports: \"9-3\" is not a port or range (use 443 or "
        "\"8000-8100\")");
    row("port spec list",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": "80,443"}]}}})J",
        "x.json: /network/firewall/rules/0/ports: \"80,443\" is not a port or range (use 443 "
        "or \"8000-8100\")");
    row("port number 70000",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": 70000}]}}})J",
        "x.json: /network/firewall/rules/0/ports: 70000 is not a port (1 to 65535)");
    row("port number 0",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": 0}]}}})J",
        "x.json: /network/firewall/rules/0/ports: 0 is not a port (1 to 65535)");
    row("port bool",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": true}]}}})J",
        "x.json: /network/firewall/rules/0/ports: expected a port number, got a boolean "
        "true");
    row("port proto",
        R"J({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80, "proto": "sctp"}]}})J",
        "x.json: /network/ports/0/proto: \"sctp\" is not one of tcp, udp (did you mean "
        "\"tcp\"?)");

    // system calls and environment names
    row("syscall with hint", R"J({"version": 1, "security": {"deny_syscalls": ["ptrce"]}})J",
        "x.json: /security/deny_syscalls/0: \"ptrce\" is not a system call known here (did "
        "you mean \"ptrace\"?)");
    row("syscall without hint",
        R"J({"version": 1, "security": {"allow_syscalls": ["not_a_syscall_at_all"]}})J",
        "x.json: /security/allow_syscalls/0: \"not_a_syscall_at_all\" is not a system call "
        "known here");
    row("env keep dash", R"J({"version": 1, "environment": {"keep": ["LC-ALL"]}})J",
        "x.json: /environment/keep/0: \"LC-ALL\" is not a variable name (a trailing * is "
        "allowed)");
    row("env keep star only", R"J({"version": 1, "environment": {"keep": ["*"]}})J",
        "x.json: /environment/keep/0: \"*\" is not a variable name (a trailing * is "
        "allowed)");
    row("env set name", R"J({"version": 1, "environment": {"set": {"1FOO": "x"}}})J",
        "x.json: /environment/set/1FOO: is not a valid variable name");
    row("env set value", R"J({"version": 1, "environment": {"set": {"FOO": 1}}})J",
        "x.json: /environment/set/FOO: expected a string, got an integer 1");

    // wrong container types, nulls where they remove nothing
    row("list instead of object", R"J({"version": 1, "network": []})J",
        "x.json: /network: expected an object, got a list");
    row("object instead of list", R"J({"version": 1, "filesystem": {"binds": {"host": "/a"}}})J",
        "x.json: /filesystem/binds: expected a list, got an object");
    row("string instead of list", R"J({"version": 1, "command": "firefox"})J",
        "x.json: /command: expected a list, got a string \"firefox\"");
    row("list instead of map", R"J({"version": 1, "environment": {"set": ["FOO=1"]}})J",
        "x.json: /environment/set: expected an object of names to strings, got a list");
    row("list item type", R"J({"version": 1, "command": [1]})J",
        "x.json: /command/0: expected a string, got an integer 1");
    row("null list item", R"J({"version": 1, "command": [null]})J",
        "x.json: /command/0: expected a string, got null");
    row("null object item", R"J({"version": 1, "filesystem": {"binds": [null]}})J",
        "x.json: /filesystem/binds/0: expected an object, got null");
    row("missing required member", R"J({"version": 1, "network": {"ports": [{"host": 8080}]}})J",
        "x.json: /network/ports/0/sandbox: is missing (for example 80)");
    row("missing required choice",
        R"J({"version": 1, "network": {"firewall": {"rules": [{"to": "10.0.0.0/8"}]}}})J",
        "x.json: /network/firewall/rules/0/action: is missing");

    // duplicate keys and the file name
    row("duplicate top key", R"J({"version": 1, "name": "x", "name": "y"})J",
        "x.json: /name: duplicate key");
    row("duplicate version", R"J({"version": 1, "version": 2})J",
        "x.json: /version: duplicate key");
    row("duplicate nested key", R"J({"version": 1, "desktop": {"x11": true, "x11": false}})J",
        "x.json: /desktop/x11: duplicate key");
    row("duplicate key in list item",
        R"J({"version": 1, "filesystem": {"binds": [{"host": "/a"}, {"host": "/b", "host": "/c"}]}})J",
        "x.json: /filesystem/binds/1/host: duplicate key");
    row("name not the stem", R"J({"version": 1, "name": "y"})J",
        "x.json: /name: \"y\" does not match the file name (x.json)");

    // domain lists (network/dns_filter.h)
    row("domain with a wildcard inside",
        R"J({"version": 1, "network": {"mode": "nat", "allow_domains": ["a*.example.org"]}})J",
        "x.json: /network/allow_domains/0: \"a*.example.org\" has '*' inside a label (only "
        "*.example.org is a wildcard)");
    row("domain with a wildcard further in",
        R"J({"version": 1, "network": {"mode": "nat", "deny_domains": ["ads.*.example"]}})J",
        "x.json: /network/deny_domains/0: \"ads.*.example\" has '*' other than as its first "
        "label (*.example.org)");
    row("domain with two dots",
        R"J({"version": 1, "network": {"mode": "nat", "allow_domains": ["example..org"]}})J",
        "x.json: /network/allow_domains/0: \"example..org\" has an empty label (two dots, or a "
        "leading dot)");
    row("domain with a slash",
        R"J({"version": 1, "network": {"mode": "nat", "allow_domains": ["https://example.org"]}})J",
        "x.json: /network/allow_domains/0: \"https://example.org\" has a character a domain "
        "cannot have (\":\")");
    row("domain list without nat",
        R"J({"version": 1, "network": {"mode": "none", "allow_domains": ["example.org"]}})J",
        "x.json: /network/allow_domains: needs \"mode\": \"nat\" (no network, no names)");
    row("domain list with host-only",
        R"J({"version": 1, "network": {"mode": "nat", "firewall": {"preset": "host-only"}, "deny_domains": ["example.org"]}})J",
        "x.json: /network/deny_domains: has no effect with the firewall preset \"host-only\" "
        "(nothing leaves)");

    // rules across fields
    row("ask with the notification service owned",
        R"J({"version": 1, "desktop": {"open_uri": "ask", "dbus": {"own": ["org.example.App", "org.freedesktop.*"]}}})J",
        "x.json: /desktop/dbus/own/1: covers org.freedesktop.Notifications: with "
        "/desktop/open_uri \"ask\" the program could become the notification service and "
        "answer Layerbox's question itself (remove it, or use \"deny\")");
    row("ports with mode none",
        R"J({"version": 1, "network": {"mode": "none", "ports": [{"host": 8080, "sandbox": 80}]}})J",
        "x.json: /network/ports: port forwards need \"mode\": \"nat\"");
    row("ports with default mode",
        R"J({"version": 1, "network": {"ports": [{"host": 8080, "sandbox": 80}]}})J",
        "x.json: /network/ports: port forwards need \"mode\": \"nat\"");
    row("duplicate host port",
        R"J({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80}, {"host": 8080, "sandbox": 81}]}})J",
        "x.json: /network/ports/1/host: host port 8080/tcp is forwarded twice");
    row("memory_high above memory_max",
        R"J({"version": 1, "resources": {"memory_max": "1G", "memory_high": "2G"}})J",
        "x.json: /resources/memory_high: \"2G\" is larger than memory_max (\"1G\")");
    row("memory_high above byte memory_max",
        R"J({"version": 1, "resources": {"memory_max": 1073741824, "memory_high": "1025M"}})J",
        "x.json: /resources/memory_high: \"1025M\" is larger than memory_max (1073741824)");
    row("bind target twice",
        R"J({"version": 1, "filesystem": {"binds": [{"host": "/a", "sandbox": "/data"}, {"host": "/b", "sandbox": "/data/"}]}})J",
        "x.json: /filesystem/binds/1: \"/data\" is bound twice inside the sandbox");
    row("bind target twice via default",
        R"J({"version": 1, "filesystem": {"binds": [{"host": "~/a"}, {"host": "/srv", "sandbox": "~/a"}]}})J",
        "x.json: /filesystem/binds/1: \"~/a\" is bound twice inside the sandbox");
    row("several problems",
        R"J({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80}, {"host": 8080, "sandbox": 80}]}, "resources": {"memory_max": "1G", "memory_high": "2G"}})J",
        "x.json: /network/ports/1/host: host port 8080/tcp is forwarded twice\n"
        "x.json: /resources/memory_high: \"2G\" is larger than memory_max (\"1G\")");
}

void TstProfile::invalidProfile() {
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    QCOMPARE(validate(json), expected);
}

void TstProfile::diagnosticFields() {
    auto syntax = lb::validateProfileText("{\n  \"version\": 1,,\n}", "s.json", "s");
    QCOMPARE(syntax.size(), size_t(1));
    QCOMPARE(syntax[0].file, std::string("s.json"));
    QCOMPARE(syntax[0].line, 2);
    QCOMPARE(syntax[0].column, 16);
    QVERIFY(syntax[0].pointer.empty());
    QVERIFY(syntax[0].text().starts_with("s.json:2:16: syntax error"));

    auto field = lb::validateProfileText(R"({"version": 1, "desktop": {"gpu": 1}})", "f.json");
    QCOMPARE(field.size(), size_t(1));
    QCOMPARE(field[0].pointer, std::string("/desktop/gpu"));
    QCOMPARE(field[0].line, 0);
    QCOMPARE(field[0].message, std::string("expected true or false, got an integer 1"));

    // Without a stem any name goes. A profile naming itself as its parent passes on its own,
    // with or without a stem: a user profile may extend the built-in it overrides, which only
    // the store can tell (see extendsErrors and userProfileOverridesBuiltin).
    QCOMPARE(validate(R"({"version": 1, "name": "y"})", "x.json", ""), QString());
    QCOMPARE(validate(R"({"version": 1, "name": "a", "extends": "a"})", "a.json", ""), QString());
    QCOMPARE(validate(R"({"version": 1, "name": "a", "extends": "a"})", "a.json", "a"), QString());
}

// ---- accepted edge cases ---------------------------------------------------------------

void TstProfile::validProfile_data() {
    QTest::addColumn<QByteArray>("json");
    auto row = [](const char* tag, const char* json) { QTest::newRow(tag) << QByteArray(json); };
    row("minimal", R"({"version": 1})");
    row("with name", R"({"version": 1, "name": "x"})");
    row("null name", R"({"version": 1, "name": null})");
    row("null removes values",
        R"({"version": 1, "title": null, "network": null, "filesystem": {"ephemeral": null, "home": null},
            "resources": {"memory_max": null}, "desktop": {"dbus": null}})");
    row("null in a bind member",
        R"({"version": 1, "filesystem": {"binds": [{"host": "/a", "sandbox": null, "mode": null}]}})");
    row("null removes a variable", R"({"version": 1, "environment": {"set": {"A": null}}})");
    row("$comment everywhere",
        R"({"$comment": "top", "version": 1, "filesystem": {"$comment": "fs",
            "binds": [{"$comment": "a bind", "host": "/a"}]}, "network": {"firewall": {"$comment": "fw"}}})");
    row("$schema at the top", R"({"$schema": "../schema.json", "version": 1})");
    row("sizes", R"({"version": 1, "resources": {"memory_max": "1.5G", "memory_high": "512M",
                     "memory_swap_max": 1048576}})");
    row("size zero", R"({"version": 1, "resources": {"memory_swap_max": "0"}})");
    row("size huge integer",
        R"({"version": 1, "resources": {"memory_max": 18446744073709551615}})");
    row("equal memory limits",
        R"({"version": 1, "resources": {"memory_max": "1G", "memory_high": 1073741824}})");
    row("int bounds",
        R"({"version": 1, "network": {"mtu": 1280}, "resources": {"cpu_percent": 100000, "tasks_max": 1}})");
    row("ports and ranges",
        R"({"version": 1, "network": {"firewall": {"rules": [{"action": "deny", "ports": 1},
            {"action": "deny", "ports": "65535"}, {"action": "allow", "ports": "80-80"},
            {"action": "allow", "ports": "8000-8100", "to": "fd00::/8"}]}}})");
    row("cidr without prefix",
        R"({"version": 1, "network": {"firewall": {"rules": [{"action": "allow", "to": "10.0.0.1"}]}}})");
    row("same port, other protocol",
        R"({"version": 1, "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80},
            {"host": 8080, "sandbox": 81, "proto": "udp"}]}})");
    row("ipv6 addresses",
        R"({"version": 1, "network": {"dns": ["::1", "2620:fe::fe"], "mode": "nat",
            "ports": [{"host": 1, "sandbox": 1, "host_addr": "::"}]}})");
    row("hostname of 63",
        R"({"version": 1, "network": {"hostname": "a23456789012345678901234567890123456789012345678901234567890123"}})");
    row("sandbox paths", R"({"version": 1, "filesystem": {"hide": ["~", "/process", "/devices"],
                             "binds": [{"host": "/srv/proc", "sandbox": "/mnt/self"}]}})");
    row("devices", R"({"version": 1, "filesystem": {"devices": ["/dev/kvm", "/dev/dri/card0"]}})");
    row("env names",
        R"({"version": 1, "environment": {"keep": ["LC_*", "_X", "a1"], "set": {"_X": "", "B2": "x"}}})");
    row("ports with mode from a parent",
        R"({"version": 1, "extends": "browser", "network": {"ports": [{"host": 8080, "sandbox": 80}]}})");
    row("unicode text", "{\"version\": 1, \"title\": \"\\u00e9t\\u00e9 \xe2\x98\x83\"}");
    row("full profile", kFullProfile);
}

void TstProfile::validProfile() {
    QFETCH(QByteArray, json);
    const char* stem = json.contains("\"full\"") ? "full" : "x";
    QCOMPARE(validate(json, "x.json", stem), QString());
}

void TstProfile::sizes_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<qulonglong>("bytes");
    QTest::addColumn<bool>("valid");
    QTest::newRow("bytes") << "1048576" << 1048576ull << true;
    QTest::newRow("zero") << "0" << 0ull << true;
    QTest::newRow("512M") << "512M" << (512ull << 20) << true;
    QTest::newRow("1.5G") << "1.5G" << (3ull << 29) << true;
    QTest::newRow("2G") << "2G" << (2ull << 30) << true;
    QTest::newRow("4K") << "4K" << 4096ull << true;
    QTest::newRow("1T") << "1T" << (1ull << 40) << true;
    QTest::newRow("0.5K") << "0.5K" << 512ull << true;
    QTest::newRow("2 GB") << "2 GB" << 0ull << false;
    QTest::newRow("2GB") << "2GB" << 0ull << false;
    QTest::newRow("lower case") << "2g" << 0ull << false;
    QTest::newRow("1.5") << "1.5" << 0ull << false;
    QTest::newRow("empty") << "" << 0ull << false;
    QTest::newRow("negative") << "-1" << 0ull << false;
    QTest::newRow("16 digits") << "1234567890123456" << 0ull << false;
    QTest::newRow("overflow") << "999999999999999T" << 0ull << false;
}

void TstProfile::sizes() {
    QFETCH(QString, text);
    QFETCH(qulonglong, bytes);
    QFETCH(bool, valid);
    auto got = lb::parseSize(ss(text));
    QCOMPARE(got.has_value(), valid);
    if (valid) QCOMPARE(qulonglong(*got), bytes);
}

void TstProfile::formatSizes() {
    QCOMPARE(lb::formatSize(0), std::string("0B"));
    QCOMPARE(lb::formatSize(1023), std::string("1023B"));
    QCOMPARE(lb::formatSize(512ull << 20), std::string("512M"));
    QCOMPARE(lb::formatSize(3ull << 29), std::string("1.5G"));
    QCOMPARE(lb::formatSize(4ull << 30), std::string("4G"));
    QCOMPARE(lb::formatSize(2ull << 40), std::string("2T"));
}

void TstProfile::names() {
    QVERIFY(lb::isValidProfileName("firefox"));
    QVERIFY(lb::isValidProfileName("dev-shell"));
    QVERIFY(lb::isValidProfileName("my_app2"));
    QVERIFY(lb::isValidProfileName("0"));
    QVERIFY(lb::isValidProfileName(std::string(64, 'a')));
    QVERIFY(!lb::isValidProfileName(std::string(65, 'a')));
    QVERIFY(!lb::isValidProfileName(""));
    QVERIFY(!lb::isValidProfileName("Firefox"));
    QVERIFY(!lb::isValidProfileName("-x"));
    QVERIFY(!lb::isValidProfileName("_x"));
    QVERIFY(!lb::isValidProfileName("a.b"));
    QVERIFY(!lb::isValidProfileName("a/b"));
    const std::vector<std::string> c{"firefox", "chromium", "vlc"};
    QCOMPARE(lb::didYouMean("firefx", c), std::string("firefox"));
    QCOMPARE(lb::didYouMean("chromim", c), std::string("chromium"));
    QCOMPARE(lb::didYouMean("chrome", c), std::string());  // 3 edits is too far for 6 letters
    QCOMPARE(lb::didYouMean("emacs", c), std::string());

    // Names made from a program's or a desktop entry's name (the GUI's suggestions).
    QCOMPARE(lb::profileNameFrom("GIMP 2.10"), std::string("gimp-2-10"));
    QCOMPARE(lb::profileNameFrom("__-my_App"), std::string("my_app"));
    QCOMPARE(lb::profileNameFrom("caf\xc3\xa9 bar"), std::string("caf-bar"));
    QCOMPARE(lb::profileNameFrom("..."), std::string());
    QCOMPARE(lb::profileNameFrom(std::string(80, 'x')), std::string(64, 'x'));
    QVERIFY(lb::isValidProfileName(lb::profileNameFrom("x-").c_str()));
}

// ---- typed loading ---------------------------------------------------------------------

void TstProfile::typedValues() {
    lbtest::TestHome home;
    home.writeProfile("full", kFullProfile);
    home.writeProfile("bare_app", R"({"version": 1})");
    auto store = storeFor(home);

    auto full = lb::loadProfile(store, "full");
    QVERIFY2(full, full ? "" : full.error().message().c_str());
    const lb::Profile& p = *full;
    QCOMPARE(p.title, std::string("Everything"));
    QCOMPARE(p.command, (std::vector<std::string>{"prog", "--flag", "an argument"}));
    QCOMPARE(p.filesystem.driver, lb::Driver::Fuse);
    QCOMPARE(p.filesystem.home, lb::HomeMode::Overlay);
    QVERIFY(p.filesystem.ephemeral);
    QCOMPARE(p.filesystem.binds.size(), size_t(2));
    QCOMPARE(p.filesystem.binds[0].host, std::string("~/Downloads"));
    QCOMPARE(p.filesystem.binds[0].sandbox, std::string("/data/dl"));
    QVERIFY(p.filesystem.binds[0].rw && p.filesystem.binds[0].create);
    QCOMPARE(p.filesystem.binds[1].sandbox, std::string("/srv/media"));  // defaults to host
    QVERIFY(!p.filesystem.binds[1].rw && p.filesystem.binds[1].optional);
    QCOMPARE(p.network.mode, lb::NetMode::Nat);
    QCOMPARE(p.network.ports[0].proto, std::string("tcp"));
    QCOMPARE(p.network.ports[0].hostAddr, std::string("127.0.0.1"));
    QCOMPARE(p.network.ports[1].hostAddr, std::string("::1"));
    QCOMPARE(p.network.firewall, std::string("host-only"));
    QCOMPARE(p.network.rules.size(), size_t(3));
    QCOMPARE(p.network.rules[0].portMin, 631);
    QCOMPARE(p.network.rules[0].portMax, 631);
    QCOMPARE(p.network.rules[1].portMin, 8000);
    QCOMPARE(p.network.rules[1].portMax, 8100);
    QCOMPARE(p.network.rules[1].proto, std::string("any"));
    QCOMPARE(p.network.rules[2].portMin, 0);
    QCOMPARE(p.network.hostname, std::string("box"));
    QCOMPARE(p.network.mtu, 1500);
    QCOMPARE(*p.resources.memoryMax, 2ull << 30);
    QCOMPARE(*p.resources.memoryHigh, 1536ull << 20);
    QCOMPARE(*p.resources.memorySwapMax, 0ull);
    QCOMPARE(*p.resources.cpuPercent, 150);
    QVERIFY(p.resources.requireLimits);
    QVERIFY(p.security.devel && p.security.nestedSandboxes);
    QCOMPARE(p.desktop.audio, std::string("both"));
    QVERIFY(!p.desktop.theme);
    QVERIFY(p.desktop.dbus.sessionWanted() && p.desktop.dbus.systemWanted());
    QCOMPARE(p.environment.set.at("EMPTY"), std::string());
    QCOMPARE(p.sourceFile, ss(home.profileDir() + "/full.json"));
    QVERIFY(!p.builtin);

    // Everything absent takes the documented default.
    auto bare = lb::loadProfile(store, "bare_app");
    QVERIFY2(bare, bare ? "" : bare.error().message().c_str());
    QCOMPARE(bare->name, std::string("bare_app"));
    QCOMPARE(bare->title, std::string("bare_app"));
    QCOMPARE(bare->filesystem.driver, lb::Driver::Auto);
    QCOMPARE(bare->filesystem.home, lb::HomeMode::Private);
    QCOMPARE(bare->network.mode, lb::NetMode::None);
    QCOMPARE(bare->network.firewall, std::string("internet-only"));
    QCOMPARE(bare->network.hostname, std::string("bare-app"));  // _ is not allowed in hosts
    QCOMPARE(bare->network.mtu, 65520);
    QVERIFY(!bare->resources.hasAnyLimit());
    QCOMPARE(bare->security.seccomp, std::string("default"));
    QVERIFY(bare->desktop.theme);
    QCOMPARE(bare->desktop.audio, std::string("none"));
    QVERIFY(!bare->desktop.dbus.sessionWanted());
    QCOMPARE(bare->environment.keep,
             (std::vector<std::string>{"LANG", "LANGUAGE", "LC_*", "TERM", "COLORTERM", "TZ"}));
}

// What a profile grants beyond the built-in default, for the import review: nothing for default
// itself; the browser's network, its read-write bind, display, sound and D-Bus names; a profile
// that takes a hidden path back says so.
void TstProfile::permissionsBeyondDefault() {
    lbtest::TestHome home;
    home.writeProfile("open", R"({"version": 1, "extends": "default",
        "filesystem": {"hide": [], "devices": ["/dev/kvm"]},
        "network": {"mode": "nat", "firewall": {"preset": "open"}, "host_loopback": true},
        "security": {"nested_sandboxes": true}})");
    auto store = storeFor(home);
    auto base = lb::loadProfile(store, "default");
    QVERIFY(base);
    const std::string h = ss(home.home());
    QCOMPARE(lb::permissionsBeyond(*base, *base, h).size(), size_t(0));
    auto browser = lb::loadProfile(store, "browser");
    QVERIFY(browser);
    const auto b = lb::permissionsBeyond(*browser, *base, h);
    const std::string all = joinList(b);
    for (const char* want :
         {"network: NAT (internet only: no LAN, no host)",
          "files: ~/Downloads read-write (written in place)", "display: an X11 display of its own",
          "sound: pulseaudio", "GPU", "D-Bus: talk to org.freedesktop.Notifications"})
        QVERIFY2(std::find(b.begin(), b.end(), want) != b.end(), (want + (" in " + all)).c_str());
    auto open = lb::loadProfile(store, "open");
    QVERIFY2(open, open ? "" : open.error().message().c_str());
    const auto o = lb::permissionsBeyond(*open, *base, h);
    const std::string oall = joinList(o);
    for (const char* want :
         {"network: NAT (open: internet, LAN and this computer)",
          "network: services on this computer's loopback (10.0.2.2)", "device: /dev/kvm",
          "may create sandboxes of its own (user namespaces)"})
        QVERIFY2(std::find(o.begin(), o.end(), want) != o.end(), (want + (" in " + oall)).c_str());
    if (!base->filesystem.hide.empty())
        QVERIFY2(oall.find("files: no longer hidden: ") != std::string::npos, oall.c_str());
}

// A default is written once, in the typed structs' initialisers: a profile that sets nothing
// loads to exactly a default-constructed Profile (the names aside), list items take their
// struct's defaults, and the field table (schema.json, man page, GUI placeholders) says the same.
void TstProfile::defaultsWrittenOnce() {
    lbtest::TestHome home;
    home.writeProfile("plain", R"({"version": 1})");
    home.writeProfile("items", R"({"version": 1,
        "filesystem": {"binds": [{"host": "/srv"}]},
        "network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80}],
                    "firewall": {"rules": [{"action": "deny"}]}}})");
    auto store = storeFor(home);
    auto plain = lb::loadProfile(store, "plain");
    QVERIFY2(plain, plain ? "" : plain.error().message().c_str());
    lb::Profile expected;
    expected.name = expected.title = expected.network.hostname = "plain";
    QCOMPARE(describe(*plain), describe(expected));

    auto items = lb::loadProfile(store, "items");
    QVERIFY2(items, items ? "" : items.error().message().c_str());
    const lb::Bind b;
    QCOMPARE(items->filesystem.binds.at(0).rw, b.rw);
    QCOMPARE(items->filesystem.binds.at(0).create, b.create);
    QCOMPARE(items->filesystem.binds.at(0).optional, b.optional);
    const lb::PortForward pf;
    QCOMPARE(items->network.ports.at(0).proto, pf.proto);
    QCOMPARE(items->network.ports.at(0).hostAddr, pf.hostAddr);
    QCOMPARE(items->network.rules.at(0).proto, lb::FirewallRule{}.proto);

    QMap<QString, QString> table;
    for (const auto& line : lb::profileFieldTable()) {
        const QStringList cols = qs(line).split(QLatin1Char('\t'));
        if (cols.size() >= 3) table.insert(cols[0], cols[2]);
    }
    QCOMPARE(table.value("/network/mtu"), QString::number(expected.network.mtu));
    QCOMPARE(table.value("/network/firewall/preset"), "\"" + qs(expected.network.firewall) + "\"");
    QCOMPARE(table.value("/network/ports/N/host_addr"), "\"" + qs(pf.hostAddr) + "\"");
    QCOMPARE(table.value("/desktop/audio"), "\"" + qs(expected.desktop.audio) + "\"");
}

void TstProfile::typedSizes_data() {
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qulonglong>("bytes");
    QTest::newRow("512M") << QByteArray("\"512M\"") << (512ull << 20);
    QTest::newRow("1.5G") << QByteArray("\"1.5G\"") << (3ull << 29);
    QTest::newRow("integer bytes") << QByteArray("1048576") << 1048576ull;
    QTest::newRow("digits as text") << QByteArray("\"4096\"") << 4096ull;
}

void TstProfile::typedSizes() {
    QFETCH(QByteArray, value);
    QFETCH(qulonglong, bytes);
    lbtest::TestHome home;
    home.writeProfile("s", R"({"version": 1, "resources": {"memory_max": )" + value + "}}");
    auto p = lb::loadProfile(storeFor(home), "s");
    QVERIFY2(p, p ? "" : p.error().message().c_str());
    QCOMPARE(qulonglong(p->resources.memoryMax.value()), bytes);
}

// ---- built-in profiles, schema, docs -----------------------------------------------------

void TstProfile::builtinProfiles_data() {
    QTest::addColumn<QString>("file");
    const QStringList files = QDir(sourceProfileDir()).entryList({"*.json"}, QDir::Files);
    int n = 0;
    for (const auto& f : files) {
        if (f == "schema.json") continue;
        QTest::newRow(qPrintable(f)) << f;
        ++n;
    }
    QVERIFY2(n >= 10, "expected the built-in profiles in profiles/");
}

void TstProfile::builtinProfiles() {
    QFETCH(QString, file);
    const QString stem = QFileInfo(file).completeBaseName();
    const QByteArray text = lbtest::readFile(sourceProfileDir() + "/" + file);
    QCOMPARE(diagText(lb::validateProfileText(text.toStdString(), ss(file), ss(stem))), QString());
    // The staged copy the build uses is the source file.
    QCOMPARE(lbtest::readFile(builtinDir() + "/" + file), text);

    lbtest::TestHome home;
    auto store = storeFor(home);
    auto byName = lb::loadProfile(store, ss(stem));
    QVERIFY2(byName, byName ? "" : byName.error().message().c_str());
    QVERIFY(byName->builtin);
    QCOMPARE(qs(byName->name), stem);
    QVERIFY(!byName->title.empty());
    QVERIFY(!byName->description.empty());
    auto byPath = lb::loadProfile(store, ss(sourceProfileDir() + "/" + file));
    QVERIFY2(byPath, byPath ? "" : byPath.error().message().c_str());
    QCOMPARE(describe(*byPath), describe(*byName));
}

void TstProfile::schemaFileIsGenerated() {
    const QByteArray file = lbtest::readFile(sourceProfileDir() + "/schema.json");
    QVERIFY2(!file.isEmpty(), "profiles/schema.json is missing");
    QVERIFY2(file == QByteArray::fromStdString(lb::profileSchemaJson()),
             "profiles/schema.json is stale: run layerbox profile schema > profiles/schema.json");
    QJsonObject schema = parseObject(file);
    QCOMPARE(schema["$schema"].toString(), QString("https://json-schema.org/draft/2020-12/schema"));
    QCOMPARE(schema["required"].toArray(), QJsonArray{"version"});
    QVERIFY(schema["properties"].toObject().contains("filesystem"));
}

void TstProfile::readmeDocumentsEveryField() {
    const QString readme = QString::fromUtf8(lbtest::readFile(sourceProfileDir() + "/README.md"));
    QVERIFY2(!readme.isEmpty(), "profiles/README.md is missing");
    const auto table = lb::profileFieldTable();
    QVERIFY(table.size() > 60);
    QStringList missing;
    for (const auto& line : table) {
        const QStringList parts = qs(line).split('\t');  // pointer, type, default, description
        const QString pointer = parts[0];
        if (!readme.contains("`" + pointer + "`")) missing << pointer;
        // The field's own section ("#### `/pointer`" up to the next heading) states its
        // default and, for integers, its range, as `layerbox profile fields` does.
        const qsizetype start = readme.indexOf("#### `" + pointer + "`\n");
        if (start < 0) {
            missing << pointer + " (no #### heading)";
            continue;
        }
        const qsizetype end = readme.indexOf("\n#", start + 1);
        const QString section = readme.mid(start, end < 0 ? -1 : end - start);
        if (!parts[2].isEmpty() && !section.contains("Default: `" + parts[2] + "`"))
            missing << pointer + " (default " + parts[2] + ")";
        if (parts[1].startsWith("integer") && !section.contains("Type: " + parts[1]))
            missing << pointer + " (" + parts[1] + ")";
        for (const auto& choice : parts[1].split('|'))
            if (parts[1].contains('|') && !section.contains("`" + choice + "`"))
                missing << pointer + " (choice " + choice + ")";
    }
    QVERIFY2(missing.isEmpty(), qPrintable("not in profiles/README.md: " + missing.join(", ")));
    // ... and every built-in profile appears in its table.
    for (const auto& f : QDir(sourceProfileDir()).entryList({"*.json"}, QDir::Files)) {
        if (f == "schema.json") continue;
        const QString name = QFileInfo(f).completeBaseName();
        QVERIFY2(readme.contains("| `" + name + "`"), qPrintable(name + " is not in the table"));
    }
}

// Every ```json block of the README is a profile that validates.
void TstProfile::readmeExamplesValidate() {
    const QString readme = QString::fromUtf8(lbtest::readFile(sourceProfileDir() + "/README.md"));
    static const QRegularExpression block("```json\\n(.*?)```",
                                          QRegularExpression::DotMatchesEverythingOption);
    int n = 0;
    for (const auto& m : block.globalMatch(readme)) {
        ++n;
        const std::string text = m.captured(1).toStdString();
        const std::string display = "README.md example " + std::to_string(n);
        QVERIFY2(
            lb::validateProfileText(text, display).empty(),
            qPrintable(diagText(lb::validateProfileText(text, display)) + "\n" + m.captured(1)));
    }
    QVERIFY(n > 70);
}

// ---- round trips and text helpers --------------------------------------------------------

void TstProfile::exportRoundTrip_data() {
    QTest::addColumn<QString>("name");
    for (const auto& f : QDir(builtinDir()).entryList({"*.json"}, QDir::Files))
        QTest::newRow(qPrintable(f)) << QFileInfo(f).completeBaseName();
    QTest::newRow("full (user)") << "full";
    QTest::newRow("child of firefox (user)") << "kid";
}

void TstProfile::exportRoundTrip() {
    QFETCH(QString, name);
    lbtest::TestHome home;
    home.writeProfile("full", kFullProfile);
    home.writeProfile("kid", R"({"version": 1, "name": "kid", "extends": "firefox",
        "title": null, "resources": {"memory_max": null, "cpu_percent": 50},
        "environment": {"set": {"MOZ_ENABLE_WAYLAND": null, "KID": "1"}}})");
    auto store = storeFor(home);
    auto original = lb::loadProfile(store, ss(name));
    QVERIFY2(original, original ? "" : original.error().message().c_str());

    auto exported = lb::exportProfileJson(store, ss(name));
    QVERIFY2(exported, exported ? "" : exported.error().message().c_str());
    const QByteArray text = QByteArray::fromStdString(*exported);
    QVERIFY2(text.startsWith("{\n  \"version\": 1,\n  \"name\": \"" + name.toUtf8() + "\""),
             text.constData());
    QVERIFY(!parseObject(text).contains("extends"));
    QCOMPARE(diagText(lb::validateProfileText(*exported, ss(name) + ".json", ss(name))), QString());

    // Saved on another machine (no user profiles), it loads to the same values.
    lbtest::TestHome other;
    auto otherStore = storeFor(other);
    auto saved = otherStore.save(ss(name), *exported, "*");
    QVERIFY2(saved, saved ? "" : saved.error().message().c_str());
    auto again = lb::loadProfile(otherStore, ss(name));
    QVERIFY2(again, again ? "" : again.error().message().c_str());
    QCOMPARE(describe(*again, false), describe(*original, false));
    QVERIFY(again->extends.empty());

    // Exporting is idempotent.
    auto twice = lb::exportProfileJson(otherStore, ss(name));
    QVERIFY(twice);
    QCOMPARE(qs(*twice), qs(*exported));
}

void TstProfile::newProfileText() {
    const std::string text = lb::newProfileText("mine", "browser", "My browser");
    QCOMPARE(qs(text), QString("{\n  \"version\": 1,\n  \"name\": \"mine\",\n  \"extends\": "
                               "\"browser\",\n  \"title\": \"My browser\"\n}\n"));
    QCOMPARE(qs(lb::newProfileText("bare", "")),
             QString("{\n  \"version\": 1,\n  \"name\": \"bare\"\n}\n"));
    QCOMPARE(qs(lb::extendsOfText(text)), QString("browser"));

    lbtest::TestHome home;
    auto store = storeFor(home);
    auto s = store.save("mine", text, "");
    QVERIFY2(s, s ? "" : s.error().message().c_str());
    auto mine = lb::loadProfile(store, "mine");
    auto browser = lb::loadProfile(store, "browser");
    QVERIFY(mine && browser);
    QCOMPARE(mine->title, std::string("My browser"));
    QCOMPARE(mine->extends, std::string("browser"));
    QCOMPARE(mine->network.hostname, std::string("mine"));
    // Apart from its name, title and host name it is the template.
    lb::Profile expected = *browser;
    expected.name = "mine";
    expected.title = "My browser";
    expected.network.hostname = "mine";
    QCOMPARE(describe(*mine, false), describe(expected, false));
}

void TstProfile::renamedProfileText() {
    auto r = lb::renamedProfileText(
        R"({"title": "T", "version": 1, "name": "old", "desktop": {"x11": true}})", "new");
    QVERIFY(r);
    QCOMPARE(qs(*r), QString("{\n  \"version\": 1,\n  \"name\": \"new\",\n  \"desktop\": {\n"
                             "    \"x11\": true\n  },\n  \"title\": \"T\"\n}\n"));
    auto unnamed = lb::renamedProfileText(R"({"version": 1})", "given");
    QVERIFY(unnamed);
    QCOMPARE(parseObject(QByteArray::fromStdString(*unnamed))["name"].toString(), QString("given"));
    auto broken = lb::renamedProfileText("{\"version\": 1,", "x");
    QVERIFY(!broken);
    QCOMPARE(qs(broken.error().message()),
             QString("profile:1:15: syntax error while parsing object key - unexpected end "
                     "of input; expected string literal"));
    auto list = lb::renamedProfileText("[]", "x");
    QVERIFY(!list);
    QCOMPARE(qs(list.error().message()), QString("a profile must be a JSON object"));

    QCOMPARE(qs(lb::extendsOfText(R"({"version": 1})")), QString());
    QCOMPARE(qs(lb::extendsOfText(R"({"extends": 3})")), QString());
    QCOMPARE(qs(lb::extendsOfText("not json")), QString());
}

void TstProfile::overridesAgainst_data() {
    QTest::addColumn<QString>("parent");
    QTest::addColumn<QByteArray>("patch");     // applied to the parent's export
    QTest::addColumn<QByteArray>("expected");  // the minimal override, compact
    auto row = [](const char* tag, const char* parent, const char* patch, const char* exp) {
        QTest::newRow(tag) << parent << QByteArray(patch) << QByteArray(exp);
    };
    row("unchanged", "firefox", "{}", R"({"extends":"firefox","name":"mine","version":1})");
    row("default written out", "firefox", R"({"network": {"mtu": 65520}})",
        R"({"extends":"firefox","name":"mine","version":1})");
    row("scalar changed", "firefox", R"({"desktop": {"gpu": false}})",
        R"({"desktop":{"gpu":false},"extends":"firefox","name":"mine","version":1})");
    row("list replaced", "firefox", R"({"command": ["firefox-esr", "--private-window"]})",
        R"({"command":["firefox-esr","--private-window"],"extends":"firefox","name":"mine","version":1})");
    row("value removed", "firefox", R"({"resources": {"memory_max": null}})",
        R"({"extends":"firefox","name":"mine","resources":{"memory_max":null},"version":1})");
    row("variable removed", "firefox", R"({"environment": {"set": {"MOZ_ENABLE_WAYLAND": null}}})",
        R"({"environment":{"set":{"MOZ_ENABLE_WAYLAND":null}},"extends":"firefox","name":"mine","version":1})");
    row("title removed", "firefox", R"({"title": null})",
        R"({"extends":"firefox","name":"mine","title":null,"version":1})");
    row("nested and new", "browser",
        R"({"desktop": {"dbus": {"own": ["org.example.*"]}, "x11": false}, "network": {"hostname": "web"}})",
        R"({"desktop":{"dbus":{"own":["org.example.*"]},"x11":false},"extends":"browser","name":"mine","network":{"hostname":"web"},"version":1})");
    row("parent without parent", "default",
        R"({"network": {"mode": "nat", "ports": [{"host": 8080, "sandbox": 80}]}})",
        R"({"extends":"default","name":"mine","network":{"mode":"nat","ports":[{"host":8080,"sandbox":80}]},"version":1})");
}

void TstProfile::overridesAgainst() {
    QFETCH(QString, parent);
    QFETCH(QByteArray, patch);
    QFETCH(QByteArray, expected);
    lbtest::TestHome home;
    auto store = storeFor(home);
    auto exported = lb::exportProfileJson(store, ss(parent));
    QVERIFY(exported);
    QJsonObject effective =
        mergePatch(parseObject(QByteArray::fromStdString(*exported)), parseObject(patch))
            .toObject();
    effective["name"] = "mine";
    const QByteArray effectiveText = QJsonDocument(effective).toJson();

    auto override = lb::overridesAgainst(store, ss(parent), effectiveText.toStdString());
    QVERIFY2(override, override ? "" : override.error().message().c_str());
    const QByteArray overrideText = QByteArray::fromStdString(*override);
    QCOMPARE(compact(parseObject(overrideText)), expected);
    QVERIFY(overrideText.startsWith("{\n  \"version\": 1,\n  \"name\": \"mine\",\n  \"extends\""));

    // Saved as a user profile, the override loads to what the effective text says.
    auto s = store.save("mine", *override, "");
    QVERIFY2(s, s ? "" : s.error().message().c_str());
    auto viaParent = lb::loadProfile(store, "mine");
    QVERIFY2(viaParent, viaParent ? "" : viaParent.error().message().c_str());
    const QString standalonePath = home.home() + "/elsewhere/mine.json";
    QVERIFY(lbtest::writeFile(standalonePath, effectiveText));
    auto standalone = lb::loadProfile(store, ss(standalonePath));
    QVERIFY2(standalone, standalone ? "" : standalone.error().message().c_str());
    QCOMPARE(describe(*viaParent, false), describe(*standalone, false));
    QCOMPARE(qs(viaParent->extends), parent);
}

void TstProfile::overridesAgainstMissingParent() {
    lbtest::TestHome home;
    auto r = lb::overridesAgainst(storeFor(home), "nope", R"({"version": 1, "name": "x"})");
    QVERIFY(!r);
    QCOMPARE(qs(r.error().message()),
             QString("nope: no profile named \"nope\" (see: layerbox profile list)"));
}

// ---- extends -----------------------------------------------------------------------------

void TstProfile::extendsMerging() {
    lbtest::TestHome home;
    home.writeProfile("base", R"({"version": 1, "title": "Base", "command": ["a", "b"],
        "filesystem": {"home": "tmpfs", "binds": [{"host": "/one"}, {"host": "/two"}], "hide": ["~/.ssh"]},
        "network": {"mode": "nat", "firewall": {"preset": "open", "rules": [{"action": "deny", "ports": 25}]}},
        "resources": {"memory_max": "2G", "tasks_max": 100},
        "desktop": {"x11": true, "gpu": true, "dbus": {"talk": ["org.a"], "own": ["org.b"]}},
        "environment": {"set": {"KEEP": "1", "DROP": "2"}}})");
    home.writeProfile("child", R"({"version": 1, "extends": "base", "description": "Child",
        "command": ["c"],
        "filesystem": {"binds": [{"host": "/three", "mode": "rw"}]},
        "network": {"firewall": {"preset": "host-only"}},
        "resources": {"memory_max": null, "cpu_percent": 50},
        "desktop": {"x11": false, "dbus": {"own": []}},
        "environment": {"set": {"DROP": null, "NEW": "3"}}})");
    auto store = storeFor(home);
    auto r = lb::loadProfile(store, "child");
    QVERIFY2(r, r ? "" : r.error().message().c_str());
    const lb::Profile& p = *r;
    QCOMPARE(p.name, std::string("child"));
    QCOMPARE(p.extends, std::string("base"));
    QCOMPARE(p.title, std::string("Base"));              // inherited
    QCOMPARE(p.description, std::string("Child"));       // added
    QCOMPARE(p.command, std::vector<std::string>{"c"});  // lists replace
    QCOMPARE(p.filesystem.binds.size(), size_t(1));
    QCOMPARE(p.filesystem.binds[0].host, std::string("/three"));
    QCOMPARE(p.filesystem.home, lb::HomeMode::Tmpfs);  // objects merge
    QCOMPARE(p.filesystem.hide, std::vector<std::string>{"~/.ssh"});
    QCOMPARE(p.network.mode, lb::NetMode::Nat);
    QCOMPARE(p.network.firewall, std::string("host-only"));
    QCOMPARE(p.network.rules.size(), size_t(1));  // kept, two levels down
    QVERIFY(!p.resources.memoryMax);              // null removes
    QCOMPARE(p.resources.tasksMax.value(), 100);
    QCOMPARE(p.resources.cpuPercent.value(), 50);
    QVERIFY(p.desktop.x11 == lb::X11Mode::Off);
    QVERIFY(p.desktop.gpu);
    QCOMPARE(p.desktop.dbus.talk, std::vector<std::string>{"org.a"});
    QVERIFY(p.desktop.dbus.own.empty());
    QCOMPARE(p.environment.set, (std::map<std::string, std::string>{{"KEEP", "1"}, {"NEW", "3"}}));
    QCOMPARE(p.sourceFile, ss(home.profileDir() + "/child.json"));

    // The merged JSON says the same, and a value removed by null falls back to its default.
    auto merged = lb::mergedProfileJson(store, "child", true);
    QVERIFY(merged);
    QJsonObject m = parseObject(QByteArray::fromStdString(*merged));
    QCOMPARE(m["extends"].toString(), QString("base"));
    QVERIFY(!m["resources"].toObject().contains("memory_max"));
    QCOMPARE(m["network"].toObject()["mtu"].toInt(), 65520);
    QCOMPARE(m["filesystem"].toObject()["driver"].toString(), QString("auto"));
}

void TstProfile::userProfileOverridesBuiltin() {
    lbtest::TestHome home;
    home.writeProfile("browser", R"({"version": 1, "name": "browser", "extends": "browser",
        "title": "My browser", "resources": {"memory_max": "6G"}})");
    auto store = storeFor(home);

    auto ref = store.find("browser");
    QVERIFY(ref);
    QVERIFY(!ref->builtin);
    QVERIFY(ref->overridesBuiltin);
    QCOMPARE(ref->path, ss(home.profileDir() + "/browser.json"));

    auto b = lb::loadProfile(store, "browser");
    QVERIFY2(b, b ? "" : b.error().message().c_str());
    QCOMPARE(b->title, std::string("My browser"));
    QCOMPARE(b->extends, std::string("browser"));
    QCOMPARE(*b->resources.memoryMax, 6ull << 30);
    QCOMPARE(*b->resources.memoryHigh, 3ull << 30);  // from the built-in
    QVERIFY(b->desktop.gpu);
    QVERIFY(!b->builtin);

    // Built-ins extending "browser" now get the user's version.
    auto fx = lb::loadProfile(store, "firefox");
    QVERIFY2(fx, fx ? "" : fx.error().message().c_str());
    QVERIFY(fx->builtin);
    QCOMPARE(*fx->resources.memoryMax, 6ull << 30);
    QCOMPARE(fx->title, std::string("Firefox"));

    // Loaded by path (`profile validate FILE`), the override still extends the built-in.
    auto byPath = lb::loadProfile(store, ss(home.profileDir() + "/browser.json"));
    QVERIFY2(byPath, byPath ? "" : byPath.error().message().c_str());
    QCOMPARE(describe(*byPath), describe(*b));

    // A user profile replacing a built-in without extending it stands alone.
    home.writeProfile("vlc", R"({"version": 1, "title": "Plain"})");
    auto vlc = lb::loadProfile(store, "vlc");
    QVERIFY(vlc);
    QVERIFY(!vlc->desktop.gpu);
    QVERIFY(vlc->extends.empty());
}

// desktop.x11: off | isolated | host, and the older boolean (true is "host", which `profile
// validate` warns about); the built-in profiles for untrusted programs are isolated.
void TstProfile::x11Modes() {
    lbtest::TestHome home;
    home.writeProfile("old", R"({"version": 1, "desktop": {"x11": true}})");
    home.writeProfile("off", R"({"version": 1, "desktop": {"x11": false}})");
    home.writeProfile("iso", R"({"version": 1, "desktop": {"x11": "isolated"}})");
    home.writeProfile("bad", R"({"version": 1, "desktop": {"x11": "nested"}})");
    auto store = storeFor(home);
    QVERIFY(lb::loadProfile(store, "old")->desktop.x11 == lb::X11Mode::Host);
    QVERIFY(lb::loadProfile(store, "off")->desktop.x11 == lb::X11Mode::Off);
    QVERIFY(lb::loadProfile(store, "iso")->desktop.x11 == lb::X11Mode::Isolated);
    QVERIFY(lb::loadProfile(store, "default")->desktop.x11 == lb::X11Mode::Off);
    auto bad = lb::loadProfile(store, "bad");
    QVERIFY(!bad);
    QVERIFY2(qs(bad.error().message()).contains("\"nested\" is not one of off, isolated, host"),
             bad.error().message().c_str());
    for (const char* name : {"untrusted-gui", "browser", "firefox", "chromium", "terminal"})
        QVERIFY2(lb::loadProfile(store, name)->desktop.x11 == lb::X11Mode::Isolated, name);

    auto r = home.layerbox({"profile", "validate", "old", "iso"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QString("old: valid\niso: valid\n"));
    QVERIFY2(r.err.startsWith("old: warning: /desktop/x11: \"host\" (or true)") &&
                 r.err.contains("read every keystroke") && !r.err.contains("iso:"),
             qPrintable(r.err));
}

void TstProfile::chainOfThree() {
    lbtest::TestHome home;
    home.writeProfile("c", R"({"version": 1, "title": "C", "command": ["c"],
        "network": {"mode": "nat"}, "resources": {"tasks_max": 10, "cpu_weight": 10}})");
    home.writeProfile("b", R"({"version": 1, "extends": "c", "title": "B",
        "resources": {"tasks_max": 20}, "desktop": {"x11": true}})");
    home.writeProfile("a", R"({"version": 1, "extends": "b", "command": ["a"],
        "resources": {"cpu_weight": null}})");
    auto store = storeFor(home);
    auto a = lb::loadProfile(store, "a");
    QVERIFY2(a, a ? "" : a.error().message().c_str());
    QCOMPARE(a->extends, std::string("b"));  // the direct parent
    QCOMPARE(a->title, std::string("B"));
    QCOMPARE(a->command, std::vector<std::string>{"a"});
    QCOMPARE(a->network.mode, lb::NetMode::Nat);
    QCOMPARE(a->resources.tasksMax.value(), 20);
    QVERIFY(!a->resources.cpuWeight);
    QVERIFY(a->desktop.x11 == lb::X11Mode::Host);
    QCOMPARE(a->network.hostname, std::string("a"));
    // Built-ins chain too: chromium -> browser.
    auto chromium = lb::loadProfile(store, "chromium");
    QVERIFY(chromium);
    QCOMPARE(chromium->extends, std::string("browser"));
}

void TstProfile::extendsErrors_data() {
    QTest::addColumn<QStringList>("files");  // "name|json" user, "builtin:name|json" built-in
    QTest::addColumn<QString>("load");
    QTest::addColumn<QString>("expected");
    QTest::newRow("a -> a") << QStringList{R"(a|{"version": 1, "extends": "a"})"} << "a"
                            << "a.json: /extends: a profile cannot extend itself (no built-in "
                               "\"a\" to extend)";
    QTest::newRow("a -> a, by path")
        << QStringList{R"(a|{"version": 1, "name": "a", "extends": "a"})"} << "PROFILEDIR/a.json"
        << "a.json: /extends: a profile cannot extend itself (no built-in \"a\" to extend)";
    QTest::newRow("built-in a -> a")
        << QStringList{R"(builtin:a|{"version": 1, "extends": "a"})"} << "a"
        << "a.json: /extends: cycle: a -> a";
    QTest::newRow("a -> b -> a") << QStringList{R"(a|{"version": 1, "extends": "b"})",
                                                R"(b|{"version": 1, "extends": "a"})"}
                                 << "a"
                                 << "a.json: /extends: cycle: a -> b -> a";
    QTest::newRow("b -> a -> b") << QStringList{R"(a|{"version": 1, "extends": "b"})",
                                                R"(b|{"version": 1, "extends": "a"})"}
                                 << "b"
                                 << "b.json: /extends: cycle: b -> a -> b";
    QTest::newRow("a -> b -> c -> a")
        << QStringList{R"(a|{"version": 1, "extends": "b"})", R"(b|{"version": 1, "extends": "c"})",
                       R"(c|{"version": 1, "extends": "a"})"}
        << "a"
        << "a.json: /extends: cycle: a -> b -> c -> a";
    QTest::newRow("cycle below") << QStringList{R"(a|{"version": 1, "extends": "b"})",
                                                R"(b|{"version": 1, "extends": "c"})",
                                                R"(c|{"version": 1, "extends": "b"})"}
                                 << "a"
                                 << "a.json: /extends: cycle: a -> b -> c -> b";
    QTest::newRow("missing parent")
        << QStringList{R"(a|{"version": 1, "extends": "nope"})"} << "a"
        << "a.json: /extends: no profile named \"nope\" (see: layerbox profile list)";
    QTest::newRow("missing parent, hint")
        << QStringList{R"(a|{"version": 1, "extends": "browsr"})"} << "a"
        << "a.json: /extends: no profile named \"browsr\" (did you mean \"browser\"?)";
    QTest::newRow("missing grandparent")
        << QStringList{R"(a|{"version": 1, "extends": "b"})",
                       R"(b|{"version": 1, "extends": "nope"})"}
        << "a"
        << "b.json: /extends: no profile named \"nope\" (see: layerbox profile list)";
    QTest::newRow("invalid parent")
        << QStringList{R"(a|{"version": 1, "extends": "b"})",
                       R"(b|{"version": 1, "desktop": {"theme": "yes"}})"}
        << "a"
        << "b.json: /desktop/theme: expected true or false, got a string \"yes\"";
    QTest::newRow("parent with wrong name")
        << QStringList{R"(a|{"version": 1, "extends": "b"})", R"(b|{"version": 1, "name": "c"})"}
        << "a"
        << "b.json: /name: \"c\" does not match the file name (b.json)";
    QTest::newRow("ports on a parent without nat")
        << QStringList{R"(a|{"version": 1, "extends": "default", "network": {"ports": [{"host": 8080, "sandbox": 80}]}})"}
        << "a"
        << "a.json: /network/ports: port forwards need \"mode\": \"nat\"";
    QTest::newRow("memory_high above the parent's memory_max")
        << QStringList{R"(a|{"version": 1, "extends": "browser", "resources": {"memory_high": "5G"}})"}
        << "a"
        << "a.json: /resources/memory_high: \"5G\" is larger than memory_max (\"4G\")";
    QTest::newRow("several problems")
        << QStringList{R"(a|{"version": 1, "desktop": {"gpu": 1, "x11": 2}})"} << "a"
        << "a.json: /desktop/gpu: expected true or false, got an integer 1 (and 1 more: run "
           "layerbox profile validate)";
    QTest::newRow("unknown profile") << QStringList{} << "firefx"
                                     << "firefx: no profile named \"firefx\" (did you mean "
                                        "\"firefox\"?)";
    QTest::newRow("missing file") << QStringList{} << "/nonexistent/p.json"
                                  << "p.json: open(\"/nonexistent/p.json\"): No such file or "
                                     "directory";
}

void TstProfile::extendsErrors() {
    QFETCH(QStringList, files);
    QFETCH(QString, load);
    QFETCH(QString, expected);
    lbtest::TestHome home;
    // A private copy of the built-ins, so a row can add one.
    const QString builtins = home.home() + "/builtin";
    QDir().mkpath(builtins);
    for (const auto& f : QDir(builtinDir()).entryList({"*.json"}, QDir::Files))
        QVERIFY(QFile::copy(builtinDir() + "/" + f, builtins + "/" + f));
    for (const auto& spec : files) {
        QString name = spec.section('|', 0, 0);
        const QByteArray json = spec.section('|', 1).toUtf8();
        if (name.startsWith("builtin:"))
            QVERIFY(lbtest::writeFile(builtins + "/" + name.mid(8) + ".json", json));
        else
            home.writeProfile(name, json);
    }
    auto store = storeFor(home, builtins);
    std::vector<lb::Diagnostic> diags;
    load.replace("PROFILEDIR", home.profileDir());
    auto r = lb::loadProfile(store, ss(load), &diags);
    QVERIFY(!r);
    QCOMPARE(qs(r.error().message()), expected);
    QCOMPARE(r.error().code(), EINVAL);
    QVERIFY(!diags.empty());
    QVERIFY(expected.startsWith(qs(diags.front().text())));
    // The other entry points resolve `extends` the same way and report the same first
    // problem (rules across fields are loadProfile's, so those rows merge fine).
    auto merged = lb::mergedProfileJson(store, ss(load));
    auto exported = lb::exportProfileJson(store, ss(load));
    QCOMPARE(bool(merged), bool(exported));
    if (!merged) {
        QCOMPARE(qs(merged.error().message()), qs(diags.front().text()));
        QCOMPARE(qs(exported.error().message()), qs(diags.front().text()));
    }
}

// ---- the store -----------------------------------------------------------------------------

void TstProfile::storeList() {
    lbtest::TestHome home;
    home.writeProfile("browser", R"({"version": 1, "extends": "browser"})");
    home.writeProfile("mine", R"({"version": 1})");
    // Not profiles: hidden, invalid names, other extensions, a save's temp file.
    home.writeProfile(".hidden", R"({"version": 1})");
    home.writeProfile("Upper", R"({"version": 1})");
    QVERIFY(lbtest::writeFile(home.profileDir() + "/notes.txt", "x"));
    QVERIFY(lbtest::writeFile(home.profileDir() + "/.mine.json.tmp-abcdef", "x"));
    auto store = storeFor(home);
    const auto refs = store.list();

    QStringList names;
    for (const auto& r : refs)
        names << qs(r.name);
    QStringList builtins;
    for (const auto& f : QDir(builtinDir()).entryList({"*.json"}, QDir::Files))
        builtins << QFileInfo(f).completeBaseName();
    QStringList expectedNames = builtins + QStringList{"mine"};
    expectedNames.sort();
    QCOMPARE(names, expectedNames);  // sorted, each name once

    for (const auto& r : refs) {
        if (r.name == "browser") {
            QVERIFY(!r.builtin);
            QVERIFY(r.overridesBuiltin);
            QCOMPARE(r.path, ss(home.profileDir() + "/browser.json"));
        } else if (r.name == "mine") {
            QVERIFY(!r.builtin);
            QVERIFY(!r.overridesBuiltin);
        } else {
            QVERIFY2(r.builtin, r.name.c_str());
            QVERIFY(!r.overridesBuiltin);
            QCOMPARE(r.path, ss(builtinDir() + "/" + qs(r.name) + ".json"));
        }
    }
}

void TstProfile::storeFind_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("code");
    QTest::newRow("typo") << "firefx"
                          << "no profile named \"firefx\" (did you mean \"firefox\"?)" << ENOENT;
    QTest::newRow("user typo") << "mien"
                               << "no profile named \"mien\" (did you mean \"mine\"?)" << ENOENT;
    QTest::newRow("unknown") << "zzzzzzzzzz"
                             << "no profile named \"zzzzzzzzzz\" (see: layerbox profile list)"
                             << ENOENT;
    QTest::newRow("upper case") << "Firefox"
                                << "\"Firefox\" is not a valid profile name (use a-z, 0-9, - and _)"
                                << 0;
    QTest::newRow("path") << "../etc/passwd"
                          << "\"../etc/passwd\" is not a valid profile name (use a-z, 0-9, - "
                             "and _)"
                          << 0;
    QTest::newRow("empty") << ""
                           << "\"\" is not a valid profile name (use a-z, 0-9, - and _)" << 0;
}

void TstProfile::storeFind() {
    QFETCH(QString, name);
    QFETCH(QString, error);
    QFETCH(int, code);
    lbtest::TestHome home;
    home.writeProfile("mine", R"({"version": 1})");
    auto store = storeFor(home);
    auto ok = store.find("mine");
    QVERIFY(ok && !ok->builtin && !ok->overridesBuiltin);
    auto fx = store.find("firefox");
    QVERIFY(fx && fx->builtin);
    auto r = store.find(ss(name));
    QVERIFY(!r);
    QCOMPARE(qs(r.error().message()), error);
    QCOMPARE(r.error().code(), code);
}

void TstProfile::storeSave() {
    lbtest::TestHome home;
    auto store = storeFor(home);
    const QString path = home.profileDir() + "/mine.json";
    const std::string v1 = R"({"version": 1, "title": "one"})";
    const std::string v2 = R"({"version": 1, "title": "two"})";
    const std::string v3 = R"({"version": 1, "title": "three"})";

    QCOMPARE(qs(lb::ProfileStore::tagOf(ss(path))), QString());  // no file: empty tag
    auto s = store.save("mine", v1, "");
    QVERIFY2(s, s ? "" : s.error().message().c_str());
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v1 + "\n"));  // newline added
    const std::string tag1 = lb::ProfileStore::tagOf(ss(path));
    QVERIFY(!tag1.empty());

    // (b) "" means "must not exist yet".
    s = store.save("mine", v3, "");
    QVERIFY(!s);
    QCOMPARE(s.error().code(), EEXIST);
    QCOMPARE(qs(s.error().message()), path + ": already exists");
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v1 + "\n"));

    // (a) Someone else edits the file: a save based on the old tag is refused.
    QVERIFY(lbtest::writeFile(path, QByteArray::fromStdString(v2)));
    QVERIFY(lb::ProfileStore::tagOf(ss(path)) != tag1);
    s = store.save("mine", v3, tag1);
    QVERIFY(!s);
    QCOMPARE(s.error().code(), ESTALE);
    QCOMPARE(qs(s.error().message()),
             path + ": changed on disk since it was loaded; reload it or save again");
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v2));

    // With the current tag, or "*", it goes through.
    s = store.save("mine", v3, lb::ProfileStore::tagOf(ss(path)));
    QVERIFY2(s, s ? "" : s.error().message().c_str());
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v3 + "\n"));
    s = store.save("mine", v1 + "\n", "*");
    QVERIFY(s);
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v1 + "\n"));

    // Invalid text and names are refused before anything is written.
    s = store.save("mine", R"({"version": 1, "desktop": {"theme": "yes"}})", "*");
    QVERIFY(!s);
    QCOMPARE(qs(s.error().message()),
             QString("mine.json: /desktop/theme: expected true or false, got a string \"yes\""));
    s = store.save("mine", R"({"version": 1, "name": "other"})", "*");
    QVERIFY(!s);
    QCOMPARE(qs(s.error().message()),
             QString("mine.json: /name: \"other\" does not match the file name (mine.json)"));
    s = store.save("Mine", v1, "");
    QVERIFY(!s);
    QCOMPARE(qs(s.error().message()),
             QString("\"Mine\" is not a valid profile name (use a-z, 0-9, - and _)"));
    QCOMPARE(lbtest::readFile(path), QByteArray::fromStdString(v1 + "\n"));

    // Nothing but the profile and the lock file is left behind.
    QCOMPARE(filesIn(home.profileDir()), (QStringList{".lock", "mine.json"}));
}

void TstProfile::storeSaveCreatesDirectory() {
    lbtest::TestHome home;
    QVERIFY(QDir(home.configHome() + "/layerbox").removeRecursively());
    auto store = storeFor(home);
    auto s = store.save("fresh", R"({"version": 1})", "");
    QVERIFY2(s, s ? "" : s.error().message().c_str());
    QVERIFY(QFileInfo::exists(home.profileDir() + "/fresh.json"));
}

void TstProfile::storeRemove() {
    lbtest::TestHome home;
    home.writeProfile("browser", R"({"version": 1, "extends": "browser", "title": "Mine"})");
    home.writeProfile("mine", R"({"version": 1})");
    auto store = storeFor(home);

    auto s = store.remove("firefox");
    QVERIFY(!s);
    QCOMPARE(s.error().code(), EPERM);
    QCOMPARE(qs(s.error().message()),
             QString("\"firefox\" is a built-in profile and cannot be removed"));

    QVERIFY(store.remove("mine"));
    QVERIFY(!QFileInfo::exists(home.profileDir() + "/mine.json"));
    s = store.remove("mine");
    QVERIFY(!s);
    QCOMPARE(s.error().code(), ENOENT);

    // Removing a user override brings the built-in back.
    QVERIFY(store.remove("browser"));
    auto ref = store.find("browser");
    QVERIFY(ref && ref->builtin);
    auto b = lb::loadProfile(store, "browser");
    QVERIFY(b);
    QCOMPARE(b->title, std::string("Web browser"));
}

// (c) a read-only directory and (d) a full disk: the save fails naming the call, the old
// file is intact and no temp file is left.
void TstProfile::storeSaveFault_data() {
    QTest::addColumn<int>("fault");
    QTest::addColumn<QString>("call");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("code");
    QTest::newRow("read-only") << int(Fault::ReadOnly) << "mkstemp("
                               << "Read-only file system" << EROFS;
    QTest::newRow("disk full") << int(Fault::DiskFull) << "write("
                               << "No space left on device" << ENOSPC;
}

void TstProfile::storeSaveFault() {
    QFETCH(int, fault);
    QFETCH(QString, call);
    QFETCH(QString, reason);
    QFETCH(int, code);
    lbtest::TestHome home;
    const std::string oldText = "{\"version\": 1, \"title\": \"old\"}\n";
    const std::string newText =
        R"({"version": 1, "title": "new", "description": ")" + std::string(2000, 'x') + "\"}";
    FaultResult r = saveUnderFault(pathsFor(home), Fault(fault), "mine", oldText, newText);
    // A missing capability is a failure here, never a skip.
    QVERIFY2(r.status != "skip", qPrintable("user and mount namespaces unavailable: " + r.message));
    QVERIFY2(r.status == "failed", qPrintable(r.status + ": " + r.message));
    QCOMPARE(r.code, code);
    const QString dir = home.profileDir();
    const QString prefix = "saving profile \"mine\": " + call + "\"" + dir + "/.mine.json.tmp-";
    QVERIFY2(r.message.startsWith(prefix), qPrintable(r.message));
    QVERIFY2(r.message.endsWith("\"): " + reason), qPrintable(r.message));
    QCOMPARE(r.content, QByteArray::fromStdString(oldText));
    QCOMPARE(r.files, (QStringList{".lock", "mine.json"}));
    // The parent's view of the directory was never touched.
    QVERIFY(!QFileInfo::exists(dir + "/mine.json"));
}

// ---- the command line ---------------------------------------------------------------------

void TstProfile::cliValidate() {
    lbtest::TestHome home;
    QVERIFY(lbtest::writeFile(home.home() + "/good.json", R"({"version": 1, "name": "good"})"));
    QVERIFY(lbtest::writeFile(home.home() + "/bad.json",
                              R"({"version": 1, "desktop": {"theme": "yes", "gpu": 1}})"));
    QVERIFY(lbtest::writeFile(home.home() + "/broken.json", "{\"version\": 1,\n"));

    auto r = home.layerbox({"profile", "validate", "good.json", "firefox"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QString("good.json: valid\nfirefox: valid\n"));
    QCOMPARE(r.err, QString());

    r = home.layerbox({"profile", "validate", "bad.json", "firefox", "broken.json", "nope"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QString("firefox: valid\n"));
    QCOMPARE(r.err,
             QString("bad.json: /desktop/gpu: expected true or false, got an integer 1\n"
                     "bad.json: /desktop/theme: expected true or false, got a string \"yes\"\n"
                     "broken.json:2:1: syntax error while parsing object key - unexpected end "
                     "of input; expected string literal\n"
                     "nope: no profile named \"nope\" (see: layerbox profile list)\n"));

    // A missing parent hides nothing else: every problem at once (issue 22), the ones a parent
    // could change marked as checked without it.
    QVERIFY(lbtest::writeFile(home.home() + "/orphan.json",
                              R"({"version": 1, "extends": "nosuch",
                                  "resources": {"memory_high": "2G", "memory_max": "1G"},
                                  "network": {"mode": "none",
                                              "ports": [{"host": 8080, "sandbox": 80}]}})"));
    r = home.layerbox({"profile", "validate", "orphan.json"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err,
             QString("orphan.json: /extends: no profile named \"nosuch\" (see: layerbox profile "
                     "list)\n"
                     "orphan.json: /network/ports: port forwards need \"mode\": \"nat\" (checked "
                     "without the missing parent)\n"
                     "orphan.json: /resources/memory_high: \"2G\" is larger than memory_max "
                     "(\"1G\") (checked without the missing parent)\n"));

    // A file in the profile folder is read under its file name by `run --profile NAME`:
    // validating it by path says what run would say, not "valid". Elsewhere a file is named
    // by its "name".
    home.writeProfile("mine", R"({"version": 1, "name": "other"})");
    r = home.layerbox({"profile", "validate", home.profileDir() + "/mine.json"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("/name: \"other\" does not match the file name (mine.json)"),
             qPrintable(r.err));
    QCOMPARE(home.layerbox({"profile", "validate", "mine"}).exitCode, 1);
    QVERIFY(lbtest::writeFile(home.home() + "/mine.json", R"({"version": 1, "name": "other"})"));
    QCOMPARE(home.layerbox({"profile", "validate", "mine.json"}).exitCode, 0);
}

void TstProfile::cliListJson() {
    lbtest::TestHome home;
    home.writeProfile("browser", R"({"version": 1, "extends": "browser", "title": "Mine"})");
    home.writeProfile("broken", R"({"version": 1, "desktop": {"theme": "yes"}})");
    auto r = home.layerbox({"profile", "list", "--json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    QJsonParseError err;
    const QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8(), &err).array();
    QCOMPARE(err.error, QJsonParseError::NoError);
    QMap<QString, QJsonObject> byName;
    for (const auto& v : list)
        byName[v.toObject()["name"].toString()] = v.toObject();
    QCOMPARE(byName.size(), list.size());
    QCOMPARE(list.size(), QDir(builtinDir()).entryList({"*.json"}, QDir::Files).size() + 1);

    const QJsonObject browser = byName["browser"];
    QCOMPARE(browser["builtin"].toBool(), false);
    QCOMPARE(browser["overrides_builtin"].toBool(), true);
    QCOMPARE(browser["title"].toString(), QString("Mine"));
    QCOMPARE(browser["path"].toString(), home.profileDir() + "/browser.json");
    const QJsonObject fx = byName["firefox"];
    QCOMPARE(fx["builtin"].toBool(), true);
    QCOMPARE(fx["valid"].toBool(), true);
    QCOMPARE(fx["title"].toString(), QString("Firefox"));
    QCOMPARE(fx["desktop_entry"].toString(), QString("firefox-esr.desktop"));
    const QJsonObject broken = byName["broken"];
    QCOMPARE(broken["valid"].toBool(), false);
    QCOMPARE(broken["error"].toString(),
             QString("broken.json: /desktop/theme: expected true or false, got a string \"yes\""));
    QVERIFY(!broken.contains("title"));
}

void TstProfile::cliShowJson() {
    lbtest::TestHome home;
    auto r = home.layerbox({"profile", "show", "firefox", "--json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    QJsonObject p = parseObject(r.out.toUtf8());
    QCOMPARE(p["name"].toString(), QString("firefox"));
    QCOMPARE(p["extends"].toString(), QString("browser"));
    QCOMPARE(p["version"].toInt(), 1);
    QCOMPARE(p["network"].toObject()["mode"].toString(), QString("nat"));  // from browser
    QCOMPARE(p["network"].toObject()["mtu"].toInt(), 65520);               // a default
    QCOMPARE(p["environment"].toObject()["set"].toObject()["MOZ_ENABLE_WAYLAND"].toString(),
             QString("1"));
    // It is the library's merged JSON.
    auto merged = lb::mergedProfileJson(storeFor(home), "firefox", true);
    QVERIFY(merged);
    QCOMPARE(r.out, qs(*merged) + "\n");

    r = home.layerbox({"profile", "show", "nope", "--json"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err,
             QString("layerbox: error: nope: no profile named \"nope\" (see: layerbox profile "
                     "list)\n"));
}

void TstProfile::cliNewAndShow() {
    lbtest::TestHome home;
    const QString path = home.profileDir() + "/x.json";
    auto r = home.layerbox({"profile", "new", "x", "--from", "browser", "--title", "My X"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, path + "\n");
    QCOMPARE(r.err, QString());
    QCOMPARE(lbtest::readFile(path),
             QByteArray::fromStdString(lb::newProfileText("x", "browser", "My X")));

    r = home.layerbox({"profile", "show", "x"});
    QCOMPARE(r.exitCode, 0);
    QStringList lines = r.out.split('\n');
    QCOMPARE(lines.value(0), QString("x: My X"));
    QVERIFY2(r.out.contains("\n  extends      browser\n"), qPrintable(r.out));
    QVERIFY2(r.out.contains("\n  file         " + path + "\n"), qPrintable(r.out));
    QVERIFY2(r.out.contains("\n  network      nat, firewall internet-only, hostname x\n"),
             qPrintable(r.out));
    QVERIFY2(r.out.contains("\n  resources    memory 4G, memory high 3G, tasks 4096\n"),
             qPrintable(r.out));
    QVERIFY(!r.out.contains("\n  domains"));
    // An allow-list is said (issue 16): it is what the program can reach at all.
    home.writeProfile("only", R"({"version": 1, "extends": "browser",
        "network": {"allow_domains": ["example.org", "*.example.org"],
                    "deny_domains": ["ads.example.org"]}})");
    r = home.layerbox({"profile", "show", "only"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("\n  domains      only example.org *.example.org, never "
                            "ads.example.org\n"),
             qPrintable(r.out));

    // Without --title the profile is titled by its name, not by the template's title.
    r = home.layerbox({"profile", "new", "z", "--from", "default"});
    QCOMPARE(r.exitCode, 0);
    r = home.layerbox({"profile", "show", "z"});
    QCOMPARE(r.out.split('\n').value(0), QString("z: z"));

    r = home.layerbox({"profile", "new", "x", "--from", "browser"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, "layerbox: error: you already have a profile named \"x\" (" + path +
                        "): choose another name, or remove it first (layerbox profile rm x)\n");
    r = home.layerbox({"profile", "new", "y", "--from", "nope"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: --from: no profile named \"nope\" (see: "
                            "layerbox profile list)\n"));
    QVERIFY(!QFileInfo::exists(home.profileDir() + "/y.json"));
    r = home.layerbox({"profile", "new", "Bad"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: \"Bad\" is not a valid profile name (use a-z, "
                            "0-9, - and _)\n"));
}

void TstProfile::cliImport() {
    lbtest::TestHome home;
    const QString file = home.home() + "/shared.json";
    QVERIFY(lbtest::writeFile(file, R"({"version": 1, "name": "theirs", "extends": "browser",
                                        "title": "Imported"})"));
    const QString target = home.profileDir() + "/y.json";
    auto r = home.layerbox({"profile", "import", file, "--as", "y"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, target + "\n");
    QJsonObject saved = parseObject(lbtest::readFile(target));
    QCOMPARE(saved["name"].toString(), QString("y"));
    QCOMPARE(saved["extends"].toString(), QString("browser"));
    r = home.layerbox({"profile", "show", "y", "--json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(parseObject(r.out.toUtf8())["title"].toString(), QString("Imported"));

    // An existing name is refused, and the file kept; --force replaces it.
    QVERIFY(lbtest::writeFile(file, R"({"version": 1, "title": "Second"})"));
    const QByteArray before = lbtest::readFile(target);
    r = home.layerbox({"profile", "import", file, "--as", "y"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: profile \"y\" already exists (use --as NAME or "
                            "--force)\n"));
    QCOMPARE(lbtest::readFile(target), before);
    r = home.layerbox({"profile", "import", file, "--as", "y", "--force"});
    QCOMPARE(r.exitCode, 0);
    saved = parseObject(lbtest::readFile(target));
    QCOMPARE(saved["title"].toString(), QString("Second"));
    QVERIFY(!saved.contains("extends"));

    // Without --as the file name is the profile name.
    r = home.layerbox({"profile", "import", file});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, home.profileDir() + "/shared.json\n");

    // Invalid files and missing parents are refused with the problem.
    QVERIFY(lbtest::writeFile(home.home() + "/bad.json",
                              R"({"version": 1, "network": {"mode": "bridge"}})"));
    r = home.layerbox({"profile", "import", home.home() + "/bad.json"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: bad.json: /network/mode: \"bridge\" is not one "
                            "of none, nat\n"));
    QVERIFY(
        lbtest::writeFile(home.home() + "/orphan.json", R"({"version": 1, "extends": "nope"})"));
    r = home.layerbox({"profile", "import", home.home() + "/orphan.json"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: orphan.json: /extends: no profile named "
                            "\"nope\" (see: layerbox profile list)\n"));
    QVERIFY(!QFileInfo::exists(home.profileDir() + "/orphan.json"));
    // A file overriding a built-in and extending it can be shared and imported.
    QVERIFY(lbtest::writeFile(home.home() + "/browser.json",
                              R"({"version": 1, "name": "browser", "extends": "browser",
                                  "resources": {"memory_max": "8G"}})"));
    r = home.layerbox({"profile", "validate", home.home() + "/browser.json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    r = home.layerbox({"profile", "import", home.home() + "/browser.json"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    r = home.layerbox({"profile", "show", "browser", "--json"});
    QCOMPARE(parseObject(r.out.toUtf8())["resources"].toObject()["memory_max"].toString(),
             QString("8G"));
    QCOMPARE(parseObject(r.out.toUtf8())["title"].toString(), QString("Web browser"));

    r = home.layerbox({"profile", "import", file, "--as", "Bad Name"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: \"Bad Name\" is not a valid profile name (use "
                            "--as NAME)\n"));
}

void TstProfile::cliExport() {
    lbtest::TestHome home;
    auto expected = lb::exportProfileJson(storeFor(home), "firefox");
    QVERIFY(expected);
    auto r = home.layerbox({"profile", "export", "firefox", "-"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, qs(*expected));
    QCOMPARE(r.err, QString());

    const QString out = home.home() + "/fx.json";
    r = home.layerbox({"profile", "export", "firefox", out});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(lbtest::readFile(out), QByteArray::fromStdString(*expected));

    // Imported under another name it is the same profile.
    r = home.layerbox({"profile", "import", out, "--as", "fx2"});
    QCOMPARE(r.exitCode, 0);
    auto store = storeFor(home);
    auto fx = lb::loadProfile(store, "firefox");
    auto fx2 = lb::loadProfile(store, "fx2");
    QVERIFY(fx && fx2);
    lb::Profile renamed = *fx;
    renamed.name = "fx2";
    renamed.network.hostname = "fx2";
    QCOMPARE(describe(*fx2, false), describe(renamed, false));

    r = home.layerbox({"profile", "export", "nope", "-"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err.count('\n'), 1);
}

void TstProfile::cliRemove() {
    lbtest::TestHome home;
    auto r = home.layerbox({"profile", "rm", "browser"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: \"browser\" is a built-in profile and cannot be "
                            "removed\n"));
    QVERIFY(QFileInfo::exists(builtinDir() + "/browser.json"));

    home.writeProfile("mine", R"({"version": 1})");
    r = home.layerbox({"profile", "rm", "mine"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    QVERIFY(!QFileInfo::exists(home.profileDir() + "/mine.json"));
    r = home.layerbox({"profile", "rm", "mine"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err, QString("layerbox: error: no profile named \"mine\" (see: layerbox "
                            "profile list)\n"));
}

void TstProfile::cliSchemaAndFields() {
    lbtest::TestHome home;
    auto r = home.layerbox({"profile", "schema"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, qs(lb::profileSchemaJson()));
    r = home.layerbox({"profile", "fields"});
    QCOMPARE(r.exitCode, 0);
    QStringList expected;
    for (const auto& line : lb::profileFieldTable())
        expected << qs(line);
    QCOMPARE(r.out, expected.join('\n') + "\n");
    r = home.layerbox({"profile", "path", "firefox"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, builtinDir() + "/firefox.json\n");
}

void TstProfile::cliUsageErrors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown option")
        << QStringList{"profile", "list", "--bogus"}
        << "layerbox profile list: unknown option \"--bogus\" (see 'layerbox profile list "
           "--help')";
    QTest::newRow("unknown option, hint")
        << QStringList{"profile", "list", "--jsn"}
        << "layerbox profile list: unknown option \"--jsn\" (did you mean --json?) (see "
           "'layerbox profile list --help')";
    QTest::newRow("flag with a value")
        << QStringList{"profile", "list", "--json=yes"}
        << "layerbox profile list: --json takes no value (see 'layerbox profile list --help')";
    QTest::newRow("missing argument")
        << QStringList{"profile", "show"}
        << "layerbox profile show: missing argument (NAME) (see 'layerbox profile show "
           "--help')";
    QTest::newRow("missing second argument")
        << QStringList{"profile", "export", "firefox"}
        << "layerbox profile export: missing argument (NAME FILE) (see 'layerbox profile "
           "export --help')";
    QTest::newRow("missing option value")
        << QStringList{"profile", "new", "x", "--from"}
        << "layerbox profile new: --from needs a value (TEMPLATE) (see 'layerbox profile new "
           "--help')";
    QTest::newRow("option twice")
        << QStringList{"profile", "import", "f.json", "--as", "a", "--as", "b"}
        << "layerbox profile import: --as given twice (see 'layerbox profile import --help')";
    QTest::newRow("extra argument")
        << QStringList{"profile", "show", "a", "b"}
        << "layerbox profile show: unexpected argument \"b\" (see 'layerbox profile show "
           "--help')";
    QTest::newRow("unknown command")
        << QStringList{"profile", "frob"}
        << "layerbox profile: unknown command \"frob\" (see 'layerbox profile --help')";
    QTest::newRow("unknown command, hint")
        << QStringList{"profile", "valdate", "x"}
        << "layerbox profile: unknown command \"valdate\" (did you mean \"validate\"?) (see "
           "'layerbox profile --help')";
    QTest::newRow("help of an unknown command")
        << QStringList{"help", "profile", "nwe"}
        << "layerbox profile: unknown command \"nwe\" (did you mean \"new\"?) (see "
           "'layerbox profile --help')";
}

// `layerbox help COMMAND` is `COMMAND --help`; -v, -V and --version print the version and the
// top-level help lists them; a usage line names the options a command takes (issue 22).
void TstProfile::cliHelpAndVersion() {
    lbtest::TestHome home;
    auto viaHelp = home.layerbox({"help", "profile", "new"});
    auto viaFlag = home.layerbox({"profile", "new", "--help"});
    QCOMPARE(viaHelp.exitCode, 0);
    QCOMPARE(viaHelp.out, viaFlag.out);
    QVERIFY2(viaHelp.out.startsWith(
                 "Usage: layerbox profile new [--from TEMPLATE] [--title TITLE] NAME\n"),
             qPrintable(viaHelp.out));
    auto top = home.layerbox({"help"});
    QCOMPARE(top.exitCode, 0);
    QCOMPARE(top.out, home.layerbox({"--help"}).out);
    QVERIFY2(top.out.contains("-V, --version") && top.out.contains("layerbox help COMMAND"),
             qPrintable(top.out));
    const auto version = home.layerbox({"--version"});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("layerbox "));
    for (const char* flag : {"-v", "-V"}) {
        auto r = home.layerbox({flag});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, version.out);
    }
}

void TstProfile::cliUsageErrors() {
    QFETCH(QStringList, args);
    QFETCH(QString, error);
    lbtest::TestHome home;
    auto r = home.layerbox(args);
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err, error + "\n");  // exactly one line
}

#endif  // Q_MOC_RUN

QTEST_GUILESS_MAIN(TstProfile)
#include "tst_profile.moc"
