using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary>Options shared by several commands, and value checks that turn bad values into usage errors.</summary>
internal static class Options
{
    /// <summary><c>--data DIR</c>: where MNIST is, as an absolute path (so that every message names the place itself).</summary>
    public static Option<string> Data() => new("--data")
    {
        Description = "MNIST: a folder with the IDX files (or a mnist/ folder holding them), or the course's mnist.pkl.gz or its folder",
        HelpName = "DIR",
        DefaultValueFactory = _ => Path.GetFullPath(Mnist.DefaultDirectory()),
        CustomParser = r => FullPath(r, "--data"),
    };

    // A path given on the command line, made absolute: what the runner reports names the place whatever the current folder.
    private static string? FullPath(ArgumentResult r, string name)
    {
        var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
        if (!string.IsNullOrWhiteSpace(token)) return Path.GetFullPath(token);
        r.AddError($"{name} needs a path, got an empty one");
        return null;
    }

    /// <summary>The command's <c>--data</c> folder and whether the command line gave it (else its default found it); <see langword="null"/> for a command without <c>--data</c>.</summary>
    public static (string Folder, bool Given)? DataOf(ParseResult parsed) =>
        parsed.CommandResult.Command.Options.OfType<Option<string>>().FirstOrDefault(o => o.Name == "--data") is { } o && parsed.GetValue(o) is { } folder
            ? (folder, parsed.GetResult(o) is { Implicit: false })
            : null;

    /// <summary>What to do when no MNIST is at <paramref name="dataDir"/>: check <c>--data</c> when it was given, else where its default looked (absolute paths), and how to fetch the data.</summary>
    public static string NoDataAdvice(string dataDir, bool given) =>
        NoDataAdvice(dataDir, given, Environment.GetEnvironmentVariable(Mnist.DataVariable), Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

    internal static string NoDataAdvice(string dataDir, bool given, string? variable, string current, string appBase)
    {
        var folder = dataDir.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(dataDir)! : dataDir; // the pickle's own path
        var download = $"`{Invocation.Command("data", "download", "--data", folder)}`";
        if (given) return $"Check the path given to --data, or fetch the course's file into it with {download}.";
        if (!string.IsNullOrWhiteSpace(variable))
            return $"${Mnist.DataVariable} names {dataDir}: point it at the folder that holds mnist/, or fetch the course's file into it with {download}.";
        static string Full(string dir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        return $"${Mnist.DataVariable} is not set, and no folder from {Full(current)} upwards, nor from {Full(appBase)} (the program's) upwards, holds data/mnist/: " +
            $"run from the repository root (it ships data/mnist/), pass --data DIR, or fetch the course's file with {download}.";
    }

    /// <summary><c>--device auto|cpu|cuda|cuda:N</c>.</summary>
    public static Option<string> Device()
    {
        var o = new Option<string>("--device")
        {
            Description = "auto (CUDA when available), cpu, cuda or cuda:N",
            HelpName = "auto|cpu|cuda",
            DefaultValueFactory = _ => "auto",
        };
        o.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>()?.Trim().ToLowerInvariant() ?? "";
            if (v is not ("auto" or "cpu" or "cuda") && !(v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v.AsSpan(5), out var i) && i >= 0))
                r.AddError($"--device '{r.GetValueOrDefault<string>()}' is not a device: use auto, cpu, cuda or cuda:N");
        });
        return o;
    }

    /// <summary>The most torch threads <c>--threads</c> may ask for (thousands of threads hang a machine, they do not speed it up).</summary>
    public const int MaxThreads = 256;

    /// <summary>An optional int option that must be from <paramref name="min"/> to <paramref name="max"/> when given.</summary>
    public static Option<int?> Between(string name, int min, int max, string description, string alias) => new(name, alias)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r =>
        {
            var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
            r.AddError($"{name} must be a whole number from {min} to {max:N0}, got '{token}'");
            return null;
        },
    };

    /// <summary>An optional number option that must be above 0 and at most <paramref name="max"/> when given.</summary>
    public static Option<double?> Positive(string name, double max, string description) => new(name)
    {
        Description = description,
        HelpName = "RATE",
        CustomParser = r =>
        {
            var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0 && v <= max) return v;
            r.AddError($"{name} must be a number above 0 and at most {max.ToString(CultureInfo.InvariantCulture)}, got '{token}'");
            return null;
        },
    };

    /// <summary>An optional whole number of any size (<c>--seed</c>), with a message that names the option.</summary>
    public static Option<long?> WholeNumber(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r =>
        {
            var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (long.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return v;
            r.AddError($"{name} must be a whole number from {long.MinValue} to {long.MaxValue}, got '{token}'");
            return null;
        },
    };

    /// <summary>An optional path option that, when given, must not be empty or blank; its value is made absolute, so that every path the runner reports is.</summary>
    public static Option<string?> PathOption(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => FullPath(r, name),
    };

    /// <summary>A path argument that must not be empty or blank.</summary>
    public static Argument<string> PathArgument(string name, string description)
    {
        var a = new Argument<string>(name) { Description = description };
        a.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && string.IsNullOrWhiteSpace(r.Tokens[0].Value)) r.AddError($"{name} needs a path, got an empty one");
        });
        return a;
    }

    /// <summary>The value of an option restricted to <paramref name="names"/>, mapped to its enum value; null when not given.</summary>
    public static T? Choice<T>(ParseResult p, Option<string?> o, IReadOnlyDictionary<string, T> names) where T : struct =>
        p.GetValue(o) is { } name ? names[name] : null;
}
