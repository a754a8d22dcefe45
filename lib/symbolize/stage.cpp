// stage placeholder; replaced as the stage grows
namespace memgap {}
