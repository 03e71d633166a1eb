using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Backprop.Tests.Cli;

/// <summary>The runner as a .NET tool: packed, installed from a local folder into a tool path, and run, as docs/BUILD.md says.</summary>
[Trait("Category", "Process")]
public sealed partial class ToolPackageTests
{
    [Fact]
    public void The_folder_the_build_doc_packs_into_is_ignored_by_git()
    {
        var pack = PackCommand().Match(File.ReadAllText(Path.Combine(Repo.Root, "docs", "BUILD.md")));
        Assert.True(pack.Success, "docs/BUILD.md no longer shows `dotnet pack src/Backprop.Cli ... -o DIR`");

        // git check-ignore exits 0 when the path is ignored, 1 when it is not (no file need exist).
        var check = ChildProcess.Run("git", ["check-ignore", "--no-index", "-q", $"{pack.Groups[1].Value}/Backprop.TorchSharp.Cli.0.1.0.nupkg"], TimeSpan.FromMinutes(1));
        Assert.True(check.Code == 0, $"git does not ignore {pack.Groups[1].Value}/ (exit {check.Code}: {check.Err}): docs/BUILD.md's pack command would leave untracked files");
    }

    [GeneratedRegex(@"dotnet pack src/Backprop\.Cli .*-o (\S+)")]
    private static partial Regex PackCommand();

    [Fact]
    public void The_runner_packs_as_a_dotnet_tool_that_installs_from_a_folder_and_runs()
    {
        using var dir = new TempDir();
        var project = Path.Combine(Repo.Root, "src", "Backprop.Cli", "Backprop.Cli.csproj");

        // Build outputs go to the temporary folder too (BaseOutputPath), so the test leaves no Release build in the tree.
        // Packing restores for this platform's runtime identifier, but the tool is framework-dependent: no runtime pack is downloaded.
        var pack = ChildProcess.Run("dotnet", ["pack", project, "-c", "Release", "-o", dir.File("packages"),
            $"-p:BaseOutputPath={dir.File("bin")}/", "-v", "q", "-nologo"], TimeSpan.FromMinutes(8));
        Assert.True(pack.Code == 0, $"dotnet pack failed:\n{pack.Out}\n{pack.Err}");
        var packages = Directory.GetFiles(dir.File("packages"), "*.nupkg").Select(Path.GetFileName).ToList();
        Assert.Contains("Backprop.TorchSharp.Cli.0.1.0.nupkg", packages); // the tool's pointer package
        var rid = $"Backprop.TorchSharp.Cli.{System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}.0.1.0.nupkg";
        Assert.Contains(rid, packages); // this platform's, with its libtorch
        using (var zip = ZipFile.OpenRead(Path.Combine(dir.File("packages"), rid)))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var notice in new[] { "README.md", "NOTICE" }) Assert.Contains(notice, entries);
            // The plots' native library, this platform's alone (HarfBuzz's are not restored: see Directory.Packages.props).
            var skia = Assert.Single(entries, e => Path.GetFileName(e).StartsWith("libSkiaSharp", StringComparison.Ordinal));
            Assert.StartsWith($"tools/net10.0/{System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}/", skia);
            Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("libHarfBuzzSharp", StringComparison.Ordinal));
            var natives = entries.Where(e => e.Contains("/native/", StringComparison.Ordinal) || e.EndsWith(".so", StringComparison.Ordinal)).Select(Path.GetFileName).ToHashSet();
            if (OperatingSystem.IsLinux())
            {
                Assert.Contains("libtorch_cpu.so", natives);
                Assert.Contains("libLibTorchSharp.so", natives);
                Assert.DoesNotContain("libtorch_python.so", natives); // libtorch's Python and test libraries are left out (Directory.Build.targets)
                Assert.DoesNotContain("libjitbackend_test.so", natives);
            }
        }

        var install = ChildProcess.Run("dotnet", ["tool", "install", "Backprop.TorchSharp.Cli", "--version", "0.1.0", "--tool-path", dir.File("tools"),
            "--add-source", dir.File("packages"), "--ignore-failed-sources"], TimeSpan.FromMinutes(3));
        Assert.True(install.Code == 0, $"dotnet tool install failed:\n{install.Out}\n{install.Err}");

        var backprop = Path.Combine(dir.File("tools"), OperatingSystem.IsWindows() ? "backprop.exe" : "backprop");
        var version = ChildProcess.Run(backprop, ["--version"], TimeSpan.FromMinutes(1));
        Assert.Equal(0, version.Code);
        Assert.StartsWith("0.1.0", version.Out);

        var info = ChildProcess.Run(backprop, ["info"], TimeSpan.FromMinutes(2)); // run from the repository root: finds data/
        Assert.Equal(0, info.Code);
        Assert.Contains(dir.File("tools"), info.Out); // libtorch loads from the installed tool, not from the build tree

        // Started outside the repository, the tool finds no data: info still exits 0 and says where it looked, absolutely.
        Directory.CreateDirectory(dir.File("elsewhere"));
        var lost = ChildProcess.Run(backprop, ["info"], TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["BACKPROP_DATA"] = "" }, cwd: dir.File("elsewhere"));
        Assert.True(lost.Code == 0, lost.Out + lost.Err);
        Assert.Contains($"none found. $BACKPROP_DATA is not set, and no folder from {dir.File("elsewhere")} upwards, nor from {dir.File("tools")}", lost.Out);
        Assert.Contains("pass --data DIR", lost.Out);

        // The installed tool trains and draws its plots (ScottPlot, with SkiaSharp's natives from the package).
        var train = ChildProcess.Run(backprop, ["train", "--epochs", "1", "--out", dir.File("run")], TimeSpan.FromMinutes(3), new Dictionary<string, string?> { ["CI"] = "1" });
        Assert.True(train.Code == 0, $"the installed tool's train failed:\n{train.Out}\n{train.Err}");
        foreach (var png in new[] { "curves.png", "top_losses.png" }) Assert.True(new FileInfo(dir.File(Path.Combine("run", png))).Length > 10_000, png);
    }
}
