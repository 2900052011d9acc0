#include "utillinux/ul_compat.hpp"

#include <getopt.h>

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/usage.hpp"

namespace ipckit::cli::ul {

namespace {

std::string& name_storage() {
  static std::string name;
  return name;
}

int& startup_errno_storage() {
  static int value = 0;
  return value;
}

constexpr std::uintmax_t kMax = UINTMAX_MAX;

// x *= base, `power` times; ERANGE (leaving x at the last value that fit) on overflow.
int scale_by_power(std::uintmax_t& x, unsigned base, int power) {
  while (power-- > 0) {
    if (kMax / base < x) return ERANGE;
    x *= base;
  }
  return 0;
}

// Adds the fraction's share of one unit (frac_base) to x, digit by digit from the last one, as
// util-linux does: "1.5K" is 1024 + 1024 / (10 / 5). The arithmetic is integer division on
// purpose: its rounding is part of what ipcmk makes.
void add_fraction(std::uintmax_t& x, std::uintmax_t frac, int frac_zeros,
                  std::uintmax_t frac_base) {
  std::uintmax_t frac_div = 10;
  std::uintmax_t frac_poz = 1;
  while (frac_div < frac) {
    if (frac_div <= kMax / 10)
      frac_div *= 10;
    else
      frac /= 10;
  }
  for (int i = 0; i < frac_zeros; ++i) {
    if (frac_div <= kMax / 10)
      frac_div *= 10;
    else
      frac /= 10;
  }
  do {
    const std::uintmax_t seg = frac % 10;
    const std::uintmax_t seg_div = frac_div / frac_poz;
    frac /= 10;
    frac_poz *= 10;
    if (seg != 0 && seg_div / seg != 0) x += frac_base / (seg_div / seg);
  } while (frac != 0);
}

}  // namespace

std::string_view program() {
  return name_storage();
}

int startup_errno() {
  return startup_errno_storage();
}

void warnx(std::string_view message) {
  write_text(stderr, fmt::format("{}: {}\n", program(), message));
}

void warn(std::string_view message, int errnum) {
  write_text(stderr, fmt::format("{}: {}: {}\n", program(), message, std::strerror(errnum)));
}

void errx(std::string_view message) {
  warnx(message);
  throw Exit{1};
}

void err(std::string_view message, int errnum) {
  warn(message, errnum);
  throw Exit{1};
}

void errtryhelp() {
  print_try_help(program());
  throw Exit{1};
}

void print_version() {
  fmt::print("{} from ipckit {}\n", program(), IPCKIT_VERSION);
  throw Exit{0};
}

std::int32_t strtos32_or_err(const char* text, std::string_view what) {
  const std::string message = fmt::format("{}: '{}'", what, text);
  if (*text == '\0') errx(message);
  errno = 0;
  char* end = nullptr;
  const std::intmax_t value = std::strtoimax(text, &end, 10);
  if (errno == ERANGE) err(message, ERANGE);
  if (end == text || *end != '\0') errx(message);
  if (value < INT32_MIN || value > INT32_MAX) err(message, ERANGE);
  return static_cast<std::int32_t>(value);
}

int parse_size(const char* text, std::uint64_t& out) {
  out = 0;
  if (*text == '\0') return EINVAL;
  const char* p = text;
  while (std::isspace(static_cast<unsigned char>(*p)))
    ++p;
  if (*p == '-') return EINVAL;  // strtoumax would wrap a negative number
  errno = 0;
  char* end = nullptr;
  std::uintmax_t x = std::strtoumax(text, &end, 0);
  if (end == text || (errno != 0 && (x == kMax || x == 0))) return errno != 0 ? errno : EINVAL;
  if (*end == '\0') {
    out = x;
    return 0;
  }
  const lconv* locale = std::localeconv();
  const char* point =
      locale != nullptr && locale->decimal_point != nullptr && *locale->decimal_point != '\0'
          ? locale->decimal_point
          : ".";
  const std::size_t point_size = std::strlen(point);
  unsigned base = 1024;
  std::uintmax_t frac = 0;
  int frac_zeros = 0;
  p = end;
  for (;;) {
    if (*p == '\0') return EINVAL;  // "1.0": a fraction and no suffix
    if (p[1] == 'i' && (p[2] == 'B' || p[2] == 'b') && p[3] == '\0') break;  // KiB: 2^10N
    if ((p[1] == 'B' || p[1] == 'b') && p[2] == '\0') {                      // KB: 10^3N
      base = 1000;
      break;
    }
    if (p[1] == '\0') break;  // K
    // Anything longer must be a decimal point and a fraction, once.
    if (frac != 0 || std::strncmp(point, p, point_size) != 0) return EINVAL;
    const char* digits = p + point_size;
    while (*digits == '0') {
      ++digits;
      ++frac_zeros;
    }
    if (std::isdigit(static_cast<unsigned char>(*digits))) {
      errno = 0;
      frac = std::strtoumax(digits, &end, 0);
      if (end == digits || (errno != 0 && (frac == kMax || frac == 0)))
        return errno != 0 ? errno : EINVAL;
    } else {
      end = const_cast<char*>(digits);
    }
    if (frac != 0 && *end == '\0') return EINVAL;  // "1.5": a fraction needs a suffix
    p = end;
  }
  static constexpr std::string_view kUpper = "KMGTPEZY";
  static constexpr std::string_view kLower = "kmgtpezy";
  auto index = kUpper.find(*p);
  if (index == std::string_view::npos) index = kLower.find(*p);
  if (index == std::string_view::npos) return EINVAL;
  const int power = static_cast<int>(index) + 1;
  const int rc = scale_by_power(x, base, power);
  if (frac != 0) {
    std::uintmax_t frac_base = 1;
    (void)scale_by_power(frac_base, base, power);
    add_fraction(x, frac, frac_zeros, frac_base);
  }
  out = x;
  return rc;
}

std::uint64_t strtosize_or_err(const char* text, std::string_view what) {
  std::uint64_t value = 0;
  const int rc = parse_size(text, value);
  if (rc != 0) err(fmt::format("{}: '{}'", what, text), rc);
  return value;
}

std::string human_size(std::uint64_t bytes) {
  static constexpr std::string_view kLetters = "BKMGTPE";
  int exp = 0;
  while (exp < 60 && bytes >= (std::uint64_t{1} << (exp + 10)))
    exp += 10;
  const char letter = kLetters[static_cast<std::size_t>(exp / 10)];
  std::uint64_t whole = bytes >> exp;
  std::uint64_t frac = exp != 0 ? bytes & ((std::uint64_t{1} << exp) - 1) : 0;
  if (frac != 0) {
    // Three decimals, then rounded to one.
    if (frac >= UINT64_MAX / 1000)
      frac = ((frac / 1024) * 1000) >> (exp - 10);
    else
      frac = (frac * 1000) >> exp;
    frac = ((frac + 50) / 100) * 10;
    if (frac == 100) {
      ++whole;
      frac = 0;
    }
  }
  if (frac == 0) return fmt::format("{}{}", whole, letter);
  const lconv* locale = std::localeconv();
  const char* point =
      locale != nullptr && locale->decimal_point != nullptr && *locale->decimal_point != '\0'
          ? locale->decimal_point
          : ".";
  return fmt::format("{}{}{}{}", whole, point, frac / 10, letter);
}

std::string left(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::string left(std::string_view text, std::size_t width, std::size_t precision) {
  return left(text.substr(0, precision), width);
}

std::string alt_octal(unsigned value) {
  return value == 0 ? std::string("0") : fmt::format("0{:o}", value);
}

int run_drop_in(int argc, char** argv, int (*body)(int argc, char** argv)) {
  const char* argv0 = argc > 0 ? argv[0] : "";
  const char* slash = std::strrchr(argv0, '/');
  name_storage() = slash != nullptr ? slash + 1 : argv0;
  set_program_name(name_storage());
  restore_sigpipe();  // util-linux leaves SIGPIPE as it found it
  errno = 0;
  std::setlocale(LC_ALL, "");
  startup_errno_storage() = errno;
  optind = 0;  // a full getopt reset, in case anything parsed before us
  opterr = 1;
  int code = 0;
  try {
    code = body(argc, argv);
  } catch (const Exit& exit) {
    code = exit.code;
  } catch (const std::system_error&) {
    // fmt::print threw on a failed write. util-linux's printf would have failed quietly and set
    // the stream's error flag, which close_stdout() below reports; so does fwrite here. A failed
    // write to stderr ends the drop-in with 1, as util-linux's close_stdout() does.
    if (std::ferror(stdout) == 0 && std::ferror(stderr) == 0) throw;
    code = std::ferror(stdout) != 0 ? 0 : 1;
  }
  // util-linux's close_stdout(): an earlier failed write (ferror) or a failed flush is an
  // error, reported with strerror only when the flush set errno; a closed stdout (EBADF) or a
  // reader that went away (EPIPE) is not.
  errno = 0;
  if (std::ferror(stdout) != 0 || std::fflush(stdout) != 0) {
    const int error = errno;
    if (error != EBADF && error != EPIPE) {
      if (error != 0)
        warn("write error", error);
      else
        warnx("write error");
      return 1;
    }
  }
  // ... and any failed write to stderr makes the exit code 1 (the message is lost anyway).
  if (std::ferror(stderr) != 0) return 1;
  return code;
}

}  // namespace ipckit::cli::ul
