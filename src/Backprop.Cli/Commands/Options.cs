using System.CommandLine;
using System.Globalization;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary>Options shared by several commands, and value checks that turn bad values into usage errors.</summary>
internal static class Options
{
    /// <summary><c>--data DIR</c>: where MNIST is.</summary>
    public static Option<string> Data()
    {
        var o = new Option<string>("--data")
        {
            Description = "MNIST: a folder with the IDX files (or a mnist/ folder holding them), or the course's mnist.pkl.gz or its folder",
            HelpName = "DIR",
            DefaultValueFactory = _ => Mnist.DefaultDirectory(),
        };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && string.IsNullOrWhiteSpace(r.Tokens[0].Value)) r.AddError("--data needs a path, got an empty one");
        });
        return o;
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

    /// <summary>An optional path option that, when given, must not be empty or blank.</summary>
    public static Option<string?> PathOption(string name, string description, string helpName)
    {
        var o = new Option<string?>(name) { Description = description, HelpName = helpName };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && string.IsNullOrWhiteSpace(r.Tokens[0].Value)) r.AddError($"{name} needs a path, got an empty one");
        });
        return o;
    }

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
