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

    /// <summary>A test fixture copied next to the test assembly.</summary>
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.TorchSharp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Backprop.TorchSharp.sln above {AppContext.BaseDirectory}");
    }
}
