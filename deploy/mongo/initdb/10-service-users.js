// One MongoDB user per service, each with readWrite on its own database only
// (`<namespace>_<service>`, Settings.database_name): no service can read or write
// another's data. The key vault (`<namespace>_keys`, the citizens' wrapped data keys,
// docs/privacy.md) is written by identity (a citizen's key is made at registration and
// destroyed at erasure) and intake (sealing an application) and read by the others.
//
// Run by the mongo image on the first start of an empty volume (from
// /docker-entrypoint-initdb.d, before access control is switched on). Idempotent: run it
// again as root to rotate passwords after changing them in deploy/.env:
//   docker compose -f docker-compose.yml -f docker-compose.secure.yml exec mongo \
//     sh -c 'mongosh -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" \
//       --authenticationDatabase admin /docker-entrypoint-initdb.d/10-service-users.js'
//
// Passwords come from MONGO_PASSWORD_<SERVICE> in the container's environment.
const namespace = process.env.NAMESPACE || 'mpp';
const services = ['identity', 'intake', 'routing', 'notify', 'audit'];
const admin = db.getSiblingDB('admin');

for (const service of services) {
  const variable = `MONGO_PASSWORD_${service.toUpperCase()}`;
  const pwd = process.env[variable];
  if (!pwd || !/^[A-Za-z0-9._~-]{16,}$/.test(pwd)) {
    throw new Error(`${variable}: set 16 or more of A-Z a-z 0-9 . _ ~ -`);
  }
  const roles = [
    { role: 'readWrite', db: `${namespace}_${service}` },
    { role: ['identity', 'intake'].includes(service) ? 'readWrite' : 'read', db: `${namespace}_keys` },
  ];
  if (admin.getUser(service)) {
    admin.updateUser(service, { pwd, roles });
    print(`updated user ${service}`);
  } else {
    admin.createUser({ user: service, pwd, roles });
    print(`created user ${service}`);
  }
}
