namespace Backprop.Tests;

/// <summary>Paths in the repository, found from the test's output folder upwards.</summary>
internal static class Repo
{
    /// <summary>The repository root: the folder that holds <c>Backprop.TorchSharp.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The shipped data folder, <c>data/</c>.</summary>
    public static string Data => Path.Combine(Root, "data");

    /// <summary>The shipped IDX files, <c>data/mnist/</c>.</summary>
    public static string MnistIdx => Path.Combine(Data, "mnist");

    /// <summary>The runner as built beside these tests (<c>src/Backprop.Cli/bin/&lt;config&gt;/net10.0/backprop.dll</c>, the tests' own configuration), for process tests.</summary>
    public static string RunnerDll => Path.Combine(Root, "src", "Backprop.Cli", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "backprop.dll");

    /// <summary>A test fixture copied next to the test assembly.</summary>
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.TorchSharp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Backprop.TorchSharp.sln above {AppContext.BaseDirectory}");
    }
}
