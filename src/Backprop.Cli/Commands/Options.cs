using System.CommandLine;
using System.Globalization;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary>Options shared by several commands, and value checks that turn bad values into usage errors.</summary>
internal static class Options
{
    /// <summary><c>--data DIR</c>: where MNIST is.</summary>
    public static Option<string> Data() => new("--data")
    {
        Description = "MNIST: a folder with the IDX files (or a mnist/ folder holding them), or the course's mnist.pkl.gz or its folder",
        HelpName = "DIR",
        DefaultValueFactory = _ => Mnist.DefaultDirectory(),
    };

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

    /// <summary>An optional int option that must be at least <paramref name="min"/> when given.</summary>
    public static Option<int?> AtLeast(string name, int min, string description, string alias) => new(name, alias)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r =>
        {
            var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min) return v;
            r.AddError($"{name} must be a whole number of at least {min}, got '{token}'");
            return null;
        },
    };

    /// <summary>An optional number option that must be finite and above 0 when given.</summary>
    public static Option<double?> Positive(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "RATE",
        CustomParser = r =>
        {
            var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0) return v;
            r.AddError($"{name} must be a number above 0, got '{token}'");
            return null;
        },
    };

    /// <summary>The value of an option restricted to <paramref name="names"/>, mapped to its enum value; null when not given.</summary>
    public static T? Choice<T>(ParseResult p, Option<string?> o, IReadOnlyDictionary<string, T> names) where T : struct =>
        p.GetValue(o) is { } name ? names[name] : null;
}
