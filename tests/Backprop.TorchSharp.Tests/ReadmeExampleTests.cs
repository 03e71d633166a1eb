using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backprop.Tests;

/// <summary>
/// README.md's "Using the library" program, as a user takes it: its code block, word for word but for the path in its
/// <c>#:project</c> line, run as a file-based program from a folder outside the repository.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class ReadmeExampleTests
{
    // One folder per clone, kept between runs, so that dotnet run builds the program again only when the README changes.
    private static readonly string Folder = Path.Combine(Path.GetTempPath(),
        "backprop-readme-example-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Repo.Root)))[..12]);

    [Fact]
    public void The_program_trains_what_backprop_train_trains_and_without_data_names_the_files_and_BACKPROP_DATA()
    {
        var program = Program();
        Assert.False(Path.GetFullPath(Folder).StartsWith(Repo.Root, StringComparison.Ordinal), $"{Folder} is inside the repository");

        var (missingCode, _, missingErr) = Run(new() { ["BACKPROP_DATA"] = "" });
        var (code, stdout, stderr) = Run(new() { ["BACKPROP_DATA"] = Repo.Data });

        Assert.True(missingCode == 1, missingErr);
        Assert.Contains("no MNIST data found: looked for train-images-idx3-ubyte.gz", missingErr);
        Assert.Contains("set BACKPROP_DATA", missingErr);
        Assert.DoesNotContain("   at ", missingErr);
        Assert.True(code == 0, $"{program}\n{stdout}\n{stderr}");
        Assert.Equal(Train(), stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // The block after "## Using the library", with its #:project line pointing at this clone's library.
    private static string Program()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md")).ReplaceLineEndings("\n");
        var section = readme[readme.IndexOf("\n## Using the library\n", StringComparison.Ordinal)..];
        var code = CodeBlock().Match(section).Groups[1].Value;
        Assert.Matches(ProjectLine(), code);
        var program = ProjectLine().Replace(code, "#:project " + Path.Combine(Repo.Root, "src", "Backprop.TorchSharp"));
        Directory.CreateDirectory(Folder);
        var file = Path.Combine(Folder, "mnist.cs");
        if (!File.Exists(file) || File.ReadAllText(file) != program) File.WriteAllText(file, program);
        return program;
    }

    private static (int Code, string Out, string Err) Run(Dictionary<string, string?> env)
    {
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return ChildProcess.Run("dotnet", ["run", "mnist.cs"], TimeSpan.FromMinutes(8), env, cwd: Folder);
    }

    // What backprop train's five epochs print in the program's format: the same kernels (both follow BACKPROP_CPU_KERNELS),
    // one thread, the same seed and the same library, so the same digits.
    private static string[] Train()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "train", "--out", dir.Path], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stderr);
        return [.. File.ReadAllLines(dir.File("metrics.jsonl")).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return string.Create(CultureInfo.InvariantCulture, $"{r.GetProperty("epoch").GetInt32()} {r.GetProperty("valid_loss").GetDouble():F4} {r.GetProperty("valid_accuracy").GetDouble():F4}");
        })];
    }

    [GeneratedRegex("```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("^#:project .+$", RegexOptions.Multiline)]
    private static partial Regex ProjectLine();
}
